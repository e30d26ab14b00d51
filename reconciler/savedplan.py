"""Saved plans: `plan --out plan.json` writes one, `apply plan.json` applies exactly it, or refuses it
as stale when the manifests or live AWS changed since (as Terraform does with saved plans).

A saved plan records where the manifests came from, the variables given with --var, the --allow-env
patterns, the plan options, a digest of the loaded manifests and a digest of the plan. Applying it loads
the manifests again and plans again: the plan is applied only when both digests match, i.e. when it is
the very same plan.

The file is a CI artifact, so it holds no secret: it is created with mode 0600 (atomically, also when it
replaces an older file: no moment where it is readable by others); a `--var` whose name looks secret
(`is_sensitive_name`) is recorded by name only, and `apply plan.json` asks for it again; the value of
every secret-looking variable is replaced by "(sensitive)" wherever it appears in the plan body, and the
digests are computed over that masked content (a digest of a short secret could be reversed by trying
values). So a change of a secret variable alone does not make a saved plan stale.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.loader import MASK, ManifestSet, sensitive_values
from reconciler.model.manifest import content_digest
from reconciler.model.plan import Plan
from reconciler.model.sensitive import is_sensitive_name
from reconciler.planning import render

FORMAT = "reconciler-plan/v1"
MAX_BYTES = 64 * 1024 * 1024


class StalePlanError(ReconcilerError):
    pass


@dataclass(frozen=True)
class SavedPlan:
    paths: list[str]
    variables: dict[str, str]
    options: dict[str, Any]
    manifests_digest: str
    plan_digest: str
    sensitive_variables: tuple[str, ...] = ()  # given with --var when the plan was made; values not stored
    allow_env: tuple[str, ...] = ()


def secrets(manifests: ManifestSet, given: Mapping[str, str]) -> list[str]:
    """The values of the secret-looking variables this load used or was given, longest first."""
    return sensitive_values({**manifests.variables, **given})


def mask(value: Any, hidden: list[str]) -> Any:
    """`value` with every occurrence of a hidden string replaced by MASK."""
    if not hidden:
        return value
    if isinstance(value, str):
        for secret in hidden:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: mask(v, hidden) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v, hidden) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool) and json.dumps(value) in hidden:
        return MASK
    return value


def manifests_digest(manifests: ManifestSet, hidden: list[str] | None = None) -> str:
    content = [[str(m.key), m.spec, m.annotations] for m in manifests.manifests]
    return content_digest(mask(content, hidden or []))


def plan_body(plan: Plan, hidden: list[str] | None = None) -> Any:
    return mask(json.loads(render.to_json(plan)), hidden or [])


def plan_digest(plan: Plan, hidden: list[str] | None = None) -> str:
    """A digest of what the plan does: its changes, errors and summary. Not where the manifests were read
    from (`source`, and the file names in `warnings`): a plan made with `plan m/ --out` and applied with
    `apply plan.json` from elsewhere reads the same files under their absolute paths."""
    body = plan_body(plan, hidden)
    body.pop("warnings", None)
    for change in body.get("changes", []):
        change.pop("source", None)
    return content_digest(body)


def is_saved_plan(path: str) -> bool:
    if not path.endswith(".json"):
        return False
    try:
        return _load(path).get("format") == FORMAT
    except ReconcilerError:
        return False


def write(path: str, plan: Plan, manifests: ManifestSet, paths: list[str], variables: dict[str, str],
          options: dict[str, Any], allow_env: tuple[str, ...] = ()) -> None:
    hidden = secrets(manifests, variables)
    doc = {
        "format": FORMAT,
        "createdAt": datetime.now(UTC).isoformat(),
        "paths": [str(Path(p).resolve()) for p in paths],
        "variables": {k: v for k, v in sorted(variables.items()) if not is_sensitive_name(k)},
        "sensitiveVariables": sorted(k for k in variables if is_sensitive_name(k)),
        "allowEnv": list(allow_env),
        "options": options,
        "manifestsDigest": manifests_digest(manifests, hidden),
        "planDigest": plan_digest(plan, hidden),
        "plan": plan_body(plan, hidden),
    }
    write_private(path, json.dumps(doc, indent=2) + "\n")


def write_private(path: str, text: str) -> None:
    """Write `text` to `path` readable by the owner only: a 0600 temporary file in the same directory,
    renamed over `path` (a symlink at `path` is replaced, never followed)."""
    target = Path(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ReconcilerError(f"cannot write the saved plan {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ReconcilerError(f"cannot write the saved plan {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load(path: str) -> dict[str, Any]:
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise ReconcilerError(f"{path}: not a regular file")
        if st.st_size > MAX_BYTES:
            raise ReconcilerError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB; not a saved plan")
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
        doc = json.loads(data)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot read the saved plan: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ReconcilerError(f"{path}: not a saved plan (not JSON: {exc})") from exc
    if not isinstance(doc, dict):
        raise ReconcilerError(f"{path}: not a saved plan (a JSON {type(doc).__name__}, not an object)")
    return doc


def read(path: str) -> SavedPlan:
    doc = _load(path)
    if doc.get("format") != FORMAT:
        raise ReconcilerError(f"{path}: not a saved plan (format {doc.get('format')!r}, expected {FORMAT})")
    fields = {"paths": list, "variables": dict, "options": dict, "manifestsDigest": str, "planDigest": str,
              "sensitiveVariables": list, "allowEnv": list}
    for name, kind in fields.items():
        if name in doc and not isinstance(doc[name], kind):
            raise ReconcilerError(f"{path}: a damaged saved plan ({name!r} is not a {kind.__name__})")
    for name in ("paths", "manifestsDigest", "planDigest"):
        if name not in doc:
            raise ReconcilerError(f"{path}: a damaged saved plan ({name!r} is missing)")
    strings = [*doc["paths"], *doc.get("sensitiveVariables", []), *doc.get("allowEnv", []),
               *doc.get("variables", {}).values()]
    if not all(isinstance(s, str) for s in strings):
        raise ReconcilerError(f"{path}: a damaged saved plan (paths and variables must be strings)")
    return SavedPlan(doc["paths"], doc.get("variables", {}), doc.get("options", {}), doc["manifestsDigest"],
                     doc["planDigest"], tuple(doc.get("sensitiveVariables", [])), tuple(doc.get("allowEnv", [])))


def check(saved: SavedPlan, manifests: ManifestSet, plan: Plan, path: str, given: Mapping[str, str]) -> None:
    """Refuse a saved plan that is no longer the plan: raise StalePlanError saying why."""
    hidden = secrets(manifests, given)
    if manifests_digest(manifests, hidden) != saved.manifests_digest:
        raise StalePlanError(f"{path} is stale: the manifests changed since it was made; run plan again")
    if plan_digest(plan, hidden) != saved.plan_digest:
        raise StalePlanError(f"{path} is stale: live AWS changed since it was made, so the plan differs; run plan "
                             "again")
