"""moto's ECR made to page like Amazon ECR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecr.exceptions import InvalidParameterException
from moto.ecr.responses import ECRResponse

from reconciler.sandbox import patching
from reconciler.sandbox.pagination import paginate

__all__ = ["install"]


def fix_describe_repositories() -> None:
    """ECR DescribeRepositories paginates (default page size 100, maximum 1000).

    AWS: maxResults/nextToken work when no repositoryNames are given (with names, AWS does not paginate).
    Stock moto ignores maxResults and returns every repository in one page.
    """

    def make(_original: Any) -> Callable[..., Any]:
        def describe_repositories(self: Any) -> ActionResult:
            names = self._get_param("repositoryNames")
            repositories = self.ecr_backend.describe_repositories(
                repository_names=names, registry_id=self._get_param("registryId")
            )
            token = None
            if not names:
                repositories, token = paginate(
                    repositories,
                    [repo.name for repo in repositories],
                    self._get_param("maxResults"),
                    self._get_param("nextToken"),
                    default_page=100,
                    max_page=1000,
                    error=InvalidParameterException,
                )
            return ActionResult({"repositories": repositories, "nextToken": token})

        return describe_repositories

    patching.patch(ECRResponse, "describe_repositories", make, owner="ecr-fixes")


def install() -> None:
    """Apply the ECR fixes (idempotent)."""
    fix_describe_repositories()
