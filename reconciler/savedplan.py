"""Saved plans: `plan --out plan.json` writes one, `apply plan.json` applies exactly it, or refuses it
as stale when the manifests or live AWS changed since (as Terraform does with saved plans).

A saved plan records where the manifests came from, the variables given with --var, the plan options,
a digest of the loaded manifests and a digest of the plan. Applying it loads the manifests again and
plans again: the plan is applied only when both digests match, i.e. when it is the very same plan."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.loader import ManifestSet
from reconciler.model.manifest import content_digest
from reconciler.model.plan import Plan
from reconciler.planning import render

FORMAT = "reconciler-plan/v1"


class StalePlanError(ReconcilerError):
    pass


@dataclass(frozen=True)
class SavedPlan:
    paths: list[str]
    variables: dict[str, str]
    options: dict[str, Any]
    manifests_digest: str
    plan_digest: str


def manifests_digest(manifests: ManifestSet) -> str:
    return content_digest([[str(m.key), m.spec, m.annotations] for m in manifests.manifests])


def plan_digest(plan: Plan) -> str:
    return content_digest(json.loads(render.to_json(plan)))


def is_saved_plan(path: str) -> bool:
    file = Path(path)
    if not file.is_file() or file.suffix != ".json":
        return False
    try:
        return bool(json.loads(file.read_text()).get("format") == FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def write(path: str, plan: Plan, manifests: ManifestSet, paths: list[str], variables: dict[str, str],
          options: dict[str, Any]) -> None:
    doc = {
        "format": FORMAT,
        "createdAt": datetime.now(UTC).isoformat(),
        "paths": [str(Path(p).resolve()) for p in paths],
        "variables": variables,
        "options": options,
        "manifestsDigest": manifests_digest(manifests),
        "planDigest": plan_digest(plan),
        "plan": json.loads(render.to_json(plan)),
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


def read(path: str) -> SavedPlan:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ReconcilerError(f"{path}: not a readable saved plan: {exc}") from exc
    if doc.get("format") != FORMAT:
        raise ReconcilerError(f"{path}: not a saved plan (format {doc.get('format')!r}, expected {FORMAT})")
    return SavedPlan(doc["paths"], doc.get("variables", {}), doc.get("options", {}), doc["manifestsDigest"],
                     doc["planDigest"])


def check(saved: SavedPlan, manifests: ManifestSet, plan: Plan, path: str) -> None:
    """Refuse a saved plan that is no longer the plan: raise StalePlanError saying why."""
    if manifests_digest(manifests) != saved.manifests_digest:
        raise StalePlanError(f"{path} is stale: the manifests changed since it was made; run plan again")
    if plan_digest(plan) != saved.plan_digest:
        raise StalePlanError(f"{path} is stale: live AWS changed since it was made, so the plan differs; run plan "
                             "again")
