"""Plan one-off tasks: a task runs when what it would run (the resolved task definition revision plus
the RunTask input) has not run successfully yet. Runs are recorded on the revision's tags, so the
decision needs no state file and survives crashes; a run that failed is held until the manifest changes."""

from __future__ import annotations

from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.manifest import Manifest, content_digest, run_content
from reconciler.model.plan import Action, KnownAfterApply, ResourceChange
from reconciler.model.tags import run_record_tag
from reconciler.planning import references
from reconciler.planning.normalize import canonical


def plan_task(m: Manifest, live: LiveState, planned: dict[ResourceKey, ResourceChange], errors: list[str],
              retry_failed: bool) -> ResourceChange:
    spec, problems = references.resolve(m, live, planned)
    content = run_content(spec, m.cluster)
    desired = canonical(Kind.TASK, content)
    if problems:
        errors.extend(f"{m.source}: {m.key}: {p}" for p in problems)
        return ResourceChange(m.key, Action.CREATE, desired=desired, blocked="; ".join(problems))
    task_definition = spec["taskDefinition"]
    if isinstance(task_definition, KnownAfterApply):
        return ResourceChange(m.key, Action.CREATE, desired=desired,
                              reason="runs once: its task definition gets a new revision")
    digest = content_digest(content)
    record = live.task_definition_tags.get(str(task_definition), {}).get(run_record_tag(m.name), "")
    if record == f"{digest} succeeded":
        return ResourceChange(m.key, Action.NOOP, desired=desired, reason="ran successfully")
    if record.startswith(f"{digest} failed") and not retry_failed:
        held = (f"the last run of this content failed ({record.split(' ', 1)[1]}); change the manifest, or pass "
                "--retry-failed, to run it again")
        return ResourceChange(m.key, Action.CREATE, desired=desired, reason="runs once", held=held)
    why = "not run with this content yet" if not record else "its content changed since the last run"
    return ResourceChange(m.key, Action.CREATE, desired=desired, reason=f"runs once: {why}")
