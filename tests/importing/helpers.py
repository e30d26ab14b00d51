"""Shared steps of the import tests: import, write, load back, plan, apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler import loader, pipeline
from reconciler.importing import writer
from reconciler.importing.document import ImportResult
from reconciler.importing.secrets import SecretVariables
from reconciler.model.plan import Plan
from reconciler.model.tags import OUR_TAG_PREFIX

OWNER = "reconciler"


def write(result: ImportResult, out: Path, fmt: str = "yaml", escape: bool = True) -> dict[str, str]:
    """Mask, write, and return the variables the masked values need."""
    masker = SecretVariables(escape_strings=escape)
    for doc in result.documents:
        masker.mask(doc)
    writer.write(result.documents, out, fmt)
    return masker.variables


def plan(conn: Any, out: Path, variables: dict[str, str], owner: str = OWNER) -> Plan:
    built, _ = pipeline.plan(loader.load([str(out)], variables), conn, pipeline.PlanOptions(owner=owner))
    assert not built.errors, built.errors
    return built


def non_ownership_fields(plan_: Plan) -> dict[str, list[str]]:
    """What a plan would change beyond taking ownership (our own bookkeeping tags)."""
    out = {}
    for change in plan_.changes:
        if not change.is_change:
            continue
        fields = [f.path for f in change.fields if not f.path.startswith(f"tags[{OUR_TAG_PREFIX}")]
        if fields or change.action.value != "update":
            out[str(change.key)] = [change.action.value, *fields]
    return out


def apply(conn: Any, out: Path, variables: dict[str, str], owner: str = OWNER) -> None:
    """Apply, and wait until every rollout it started has completed."""
    manifests = loader.load([str(out)], variables)
    built, live = pipeline.plan(manifests, conn, pipeline.PlanOptions(owner=owner))
    assert not built.errors, built.errors
    applied = pipeline.apply(built, live, manifests, conn, owner, poll_seconds=0.05)
    assert applied.result.ok, [o for o in applied.result.outcomes if o.status != "applied"]
    rollouts = applied.waited + pipeline.wait(applied.rollouts, conn, poll_seconds=0.05)
    assert all(r.ok for r in rollouts), [r.message for r in rollouts if not r.ok]


def assert_round_trip(conn: Any, out: Path, variables: dict[str, str]) -> Plan:
    """Plan shows only adoption; after apply plan is empty and a second apply makes no mutating call."""
    first = plan(conn, out, variables)
    assert first.has_changes
    assert non_ownership_fields(first) == {}
    apply(conn, out, variables)
    after = plan(conn, out, variables)
    assert not after.has_changes, [(str(c.key), c.fields) for c in after.changes if c.is_change]
    conn.clients.mutations.calls.clear()
    apply(conn, out, variables)
    assert conn.clients.mutations.calls == [], "a second apply made mutating calls"
    return first
