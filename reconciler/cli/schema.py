"""`reconciler schema`: the JSON Schema of every manifest kind, for editors."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reconciler.cli.common import EXIT_OK
from reconciler.model import specs


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("schema", parents=[common], help="print the JSON Schema of manifests (for editors)",
                       description="Print the JSON Schema of all manifest kinds, generated from the AWS API "
                                   "models. Save it and point yaml-language-server at it (see README).")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(specs.json_schema(), indent=2) + "\n")
    return EXIT_OK
