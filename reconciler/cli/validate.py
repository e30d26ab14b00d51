"""`reconciler validate PATH...`: load and validate manifests offline."""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.cli import arguments
from reconciler.cli.common import EXIT_OK, load, sensitive_patterns, warning
from reconciler.planning.mask import plain_secret_warnings


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("validate", parents=[common], help="check manifests offline; print every error",
                       description="Load and validate manifests without calling AWS. Exits 0 when valid, "
                                   "1 with every problem listed as file:line:col otherwise.")
    arguments.manifests(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    manifests = load(args, show_warnings=True)
    kinds: dict[str, int] = {}
    for m in manifests.manifests:
        kinds[m.kind.value] = kinds.get(m.kind.value, 0) + 1
    detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    secret_warnings = plain_secret_warnings(manifests.manifests, sensitive_patterns(args))
    for text in secret_warnings:
        warning(text)
    count = len(manifests.warnings) + len(secret_warnings)
    warned = f" {count} warning(s) above." if count else ""
    print(f"{len(manifests.manifests)} manifests valid in {len(manifests.files)} files ({detail}).{warned}")
    return EXIT_OK
