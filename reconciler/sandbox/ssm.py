"""moto's SSM made to serve the ECS-optimised AMI parameters as AWS does.

moto ships the public parameters `/aws/service/ecs/optimized-ami/...` (AL2023, AL2, arm64, GPU...: what EC2 resolves
`resolve:ssm:` image ids from) and loads them on first use, but writes a parameter whose value is a document (the
parent `.../recommended`) as Python's repr of it; AWS's value is JSON (`{"image_id": "ami-...", ...}`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.ssm.models import ParameterDict

from reconciler.sandbox import patching

__all__ = ["ECS_AMI_PARAMETERS", "install"]

# What an ECS user resolves first (the sandbox seed reads them, so they are there from the start).
ECS_AMI_PARAMETERS = (
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id",
)


def fix_document_values() -> None:
    def make(original: Any) -> Callable[..., Any]:
        def _load_tree_parameters(self: Any, path: str) -> None:
            original(self, path)
            for versions in dict.values(self):
                for parameter in versions:
                    if isinstance(parameter.value, dict):
                        parameter.value = json.dumps(parameter.value)

        return _load_tree_parameters

    patching.patch(ParameterDict, "_load_tree_parameters", make, owner="ssm-fixes")


def install() -> None:
    fix_document_values()
