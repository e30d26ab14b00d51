"""Saved plans: `plan --out plan.json` writes one, `apply plan.json` applies exactly it, or refuses it
as stale when the manifests or live AWS changed since (as Terraform does with saved plans).

A saved plan records where the manifests came from, the variables given with --var, the --allow-env
patterns, the plan options, a digest of the loaded manifests and a digest of the plan. Applying it loads
the manifests again and plans again: the plan is applied only when the digests match, i.e. when it is the
very same plan.

The file is a CI artifact, so it holds no secret:
- it is created with mode 0600, atomically (also when it replaces an older file: there is no moment where
  it is readable by others, and a symlink in its place is replaced, never followed);
- a `--var` whose name looks secret is recorded by name only, and `apply plan.json` asks for it again;
- the plan in the file is masked like every output, and the manifests and plan digests are taken over
  masked data, so neither says anything about a secret value;
- a change of a secret value alone (in the manifests, their variables, or live AWS) is caught by a third
  digest over the clear secret values only, made with a slow, memory-hard KDF (scrypt, N=2^17, r=8, p=1:
  about 128 MiB and a fraction of a second per guess) and a random salt stored beside it, so that a
  dictionary cannot cheaply turn it back into a short password.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.loader import ManifestSet
from reconciler.model.manifest import content_digest
from reconciler.model.plan import Plan
from reconciler.planning import render
from reconciler.planning.mask import Masker

FORMAT = "reconciler-plan/v1"
KDF = {"name": "scrypt", "n": 2**17, "r": 8, "p": 1, "length": 32}
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
    secrets_digest: dict[str, Any] | None = None  # the KDF, its salt and digest; None: there were no secrets
    sensitive_variables: tuple[str, ...] = ()  # given with --var when the plan was made; values not stored
    allow_env: tuple[str, ...] = ()


def manifests_digest(manifests: ManifestSet, masker: Masker | None = None) -> str:
    masker = masker or Masker()
    return content_digest([[str(m.key), masker.value(m.spec), m.annotations] for m in manifests.manifests])


def plan_digest(plan: Plan, masker: Masker | None = None) -> str:
    """A digest of what the plan does: its changes, errors and summary. Not where the manifests were read
    from (`source`, and the file names in `warnings`): a plan made with `plan m/ --out` and applied with
    `apply plan.json` from elsewhere reads the same files under their absolute paths."""
    body = json.loads(render.to_json(plan, masker))
    body.pop("warnings", None)
    for change in body.get("changes", []):
        change.pop("source", None)
    return content_digest(body)


def secret_material(manifests: ManifestSet, plan: Plan, masker: Masker) -> list[list[str]]:
    """Every clear secret value the manifests and the plan (desired and live sides) hold, with its place."""
    found: list[list[str]] = []
    for m in manifests.manifests:
        found += [[f"{m.key}:spec.{where}", value] for where, value in masker.secrets_in(m.spec)]
    for c in plan.changes:
        for side, spec in (("desired", c.desired), ("live", c.live)):
            found += [[f"{c.key}:{side}.{where}", value] for where, value in masker.secrets_in(spec)]
    return sorted(found)


def secrets_digest(material: list[list[str]], salt: bytes, kdf: dict[str, Any] = KDF) -> str:
    n, r, p, length = int(kdf["n"]), int(kdf["r"]), int(kdf["p"]), int(kdf["length"])
    if kdf.get("name") != "scrypt" or not (2**14 <= n <= 2**20 and 1 <= r <= 32 and p == 1 and length == 32):
        raise ReconcilerError(f"saved plan: unsupported secrets digest {kdf!r}")
    secret = json.dumps(material, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r).hex()


def is_saved_plan(path: str) -> bool:
    if not path.endswith(".json"):
        return False
    try:
        return _load(path).get("format") == FORMAT
    except ReconcilerError:
        return False


def write(path: str, plan: Plan, manifests: ManifestSet, paths: list[str], variables: dict[str, str],
          options: dict[str, Any], masker: Masker | None = None, allow_env: tuple[str, ...] = ()) -> None:
    masker = masker or Masker()
    material = secret_material(manifests, plan, masker)
    secrets: dict[str, Any] | None = None
    if material:
        salt = os.urandom(16)
        secrets = {**KDF, "salt": salt.hex(), "digest": secrets_digest(material, salt)}
    doc = {
        "format": FORMAT,
        "createdAt": datetime.now(UTC).isoformat(),
        "paths": [str(Path(p).resolve()) for p in paths],
        "variables": {k: v for k, v in sorted(variables.items()) if not masker.secret(k)},
        "sensitiveVariables": sorted(k for k in variables if masker.secret(k)),
        "allowEnv": list(allow_env),
        "options": options,
        "manifestsDigest": manifests_digest(manifests, masker),
        "planDigest": plan_digest(plan, masker),
        "secretsDigest": secrets,
        "plan": render.to_data(plan, masker),
    }
    write_private(path, json.dumps(doc, indent=2, default=str, ensure_ascii=False) + "\n")


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
    if doc.get("secretsDigest") is not None and not isinstance(doc["secretsDigest"], dict):
        raise ReconcilerError(f"{path}: a damaged saved plan ('secretsDigest' is not an object)")
    strings = [*doc["paths"], *doc.get("sensitiveVariables", []), *doc.get("allowEnv", []),
               *doc.get("variables", {}).values()]
    if not all(isinstance(s, str) for s in strings):
        raise ReconcilerError(f"{path}: a damaged saved plan (paths and variables must be strings)")
    return SavedPlan(doc["paths"], doc.get("variables", {}), doc.get("options", {}), doc["manifestsDigest"],
                     doc["planDigest"], doc.get("secretsDigest"), tuple(doc.get("sensitiveVariables", [])),
                     tuple(doc.get("allowEnv", [])))


def check(saved: SavedPlan, manifests: ManifestSet, plan: Plan, path: str, masker: Masker | None = None) -> None:
    """Refuse a saved plan that is no longer the plan: raise StalePlanError saying why."""
    masker = masker or Masker()
    if manifests_digest(manifests, masker) != saved.manifests_digest:
        raise StalePlanError(f"{path} is stale: the manifests changed since it was made; run plan again")
    if plan_digest(plan, masker) != saved.plan_digest:
        raise StalePlanError(f"{path} is stale: live AWS changed since it was made, so the plan differs; run plan "
                             "again")
    if not _same_secrets(saved.secrets_digest, secret_material(manifests, plan, masker)):
        raise StalePlanError(f"{path} is stale: a secret value changed since it was made (in the manifests, their "
                             "variables or live AWS); run plan again")


def _same_secrets(saved: dict[str, Any] | None, material: list[list[str]]) -> bool:
    if saved is None or not material:
        return saved is None and not material
    try:
        salt = bytes.fromhex(str(saved["salt"]))
        expected = str(saved["digest"])
    except (KeyError, ValueError) as exc:
        raise ReconcilerError(f"saved plan: malformed secretsDigest ({exc})") from exc
    return hmac.compare_digest(secrets_digest(material, salt, saved), expected)
