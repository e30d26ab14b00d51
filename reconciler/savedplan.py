"""Saved plans: `plan --out plan.json` writes one, `apply plan.json` applies exactly it, or refuses it
as stale when the manifests or live AWS changed since (as Terraform does with saved plans).

A saved plan records where the manifests came from, the variables given with --var, the plan options,
a digest of the loaded manifests and a digest of the plan. Applying it loads the manifests again and
plans again: the plan is applied only when the digests match, i.e. when it is the very same plan.

Secrets: the plan in the file is masked like every output, and both digests are taken over masked data,
so neither says anything about a secret value. A change of a secret value alone (in the manifests, their
variables, or live AWS) is caught by a third digest over the clear secret values only, made with a slow,
memory-hard KDF (scrypt, N=2^17, r=8, p=1: about 128 MiB and a fraction of a second per guess) and a
random salt stored beside it, so that a dictionary cannot cheaply turn it back into a short password."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
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


def manifests_digest(manifests: ManifestSet, masker: Masker | None = None) -> str:
    masker = masker or Masker()
    return content_digest([[str(m.key), masker.value(m.spec), m.annotations] for m in manifests.manifests])


def plan_digest(plan: Plan, masker: Masker | None = None) -> str:
    return content_digest(json.loads(render.to_json(plan, masker)))


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
    file = Path(path)
    if not file.is_file() or file.suffix != ".json":
        return False
    try:
        return bool(json.loads(file.read_text()).get("format") == FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def write(path: str, plan: Plan, manifests: ManifestSet, paths: list[str], variables: dict[str, str],
          options: dict[str, Any], masker: Masker | None = None) -> None:
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
        "variables": variables,
        "options": options,
        "manifestsDigest": manifests_digest(manifests, masker),
        "planDigest": plan_digest(plan, masker),
        "secretsDigest": secrets,
        "plan": render.to_data(plan, masker),
    }
    Path(path).write_text(json.dumps(doc, indent=2, default=str, ensure_ascii=False) + "\n")


def read(path: str) -> SavedPlan:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ReconcilerError(f"{path}: not a readable saved plan: {exc}") from exc
    if doc.get("format") != FORMAT:
        raise ReconcilerError(f"{path}: not a saved plan (format {doc.get('format')!r}, expected {FORMAT})")
    return SavedPlan(doc["paths"], doc.get("variables", {}), doc.get("options", {}), doc["manifestsDigest"],
                     doc["planDigest"], doc.get("secretsDigest"))


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
