"""The loop guard: a field AWS reports on a revision that the registration did not send is AWS's, not drift.
Invariant: a pass never registers a revision whose sent content equals that of the latest revision it registered,
whatever DescribeTaskDefinition returns; drift made outside the product (a console revision, even one that copies
our tags) still shows."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader, pipeline
from reconciler.model.plan import Action, Plan
from reconciler.model.tags import AWS_FILLED_TAG, READBACK_TAG, SENT_DIGEST_TAG, tags_to_map

from ..conftest import MANIFESTS

OWNER = "reconciler"
Edit = Callable[[dict[str, Any]], None]


def _fault_injection(td: dict[str, Any]) -> None:
    td["enableFaultInjection"] = False  # what the console sends and describe then reports


def _new_container_field(td: dict[str, Any]) -> None:
    for container in td["containerDefinitions"]:
        container.setdefault("restartPolicy", {"enabled": False})  # a field AWS might fill in next year


def _value_in_another_form(td: dict[str, Any]) -> None:
    td["memory"] = "512 MiB"  # a value reported in a form the normaliser does not know


def _dropped_field(td: dict[str, Any]) -> None:
    td.pop("runtimePlatform", None)  # something sent that describe does not report


def report(aws: Any, edit: Edit) -> None:
    """Make DescribeTaskDefinition (as our client parses it) report what `edit` makes of each revision."""

    def after_call(parsed: dict[str, Any], **_: Any) -> None:
        if "taskDefinition" in parsed:
            edit(parsed["taskDefinition"])

    aws.clients.ecs.meta.events.register("after-call.ecs.DescribeTaskDefinition", after_call)


def plan_of(aws: Any, path: Path) -> Plan:
    plan, _ = pipeline.plan(loader.load([str(path)]), aws, pipeline.PlanOptions(owner=OWNER))
    return plan


def apply_once(aws: Any, path: Path) -> list[str]:
    manifests = loader.load([str(path)])
    plan, live = pipeline.plan(manifests, aws, pipeline.PlanOptions(owner=OWNER))
    result = pipeline.apply(plan, live, manifests, aws, OWNER, poll_seconds=0.05).result
    assert result.ok, result.outcomes
    return [o.message for o in result.outcomes if str(o.key) == "TaskDefinition/web"]


def registrations(aws: Any) -> int:
    return aws.clients.mutations.calls.count("ecs.RegisterTaskDefinition")


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    shutil.copytree(MANIFESTS, tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.parametrize("edit", [_fault_injection, _new_container_field, _value_in_another_form, _dropped_field])
def test_what_describe_reports_never_registers_a_revision_again(aws: Any, manifests: Path, edit: Edit) -> None:
    """plan/apply four times while describe reports something else than was sent: one registration in total,
    no service rollout after the first, and every plan after the first apply is empty."""
    report(aws, edit)
    aws.clients.mutations.calls.clear()
    [first] = apply_once(aws, manifests)
    assert first.startswith("registered web:1") and "warning: AWS reports" in first, first
    for _ in range(3):
        plan = plan_of(aws, manifests)
        assert not plan.has_changes, [(str(c.key), c.fields) for c in plan.changes if c.is_change]
        calls = len(aws.clients.mutations.calls)
        apply_once(aws, manifests)
        assert aws.clients.mutations.calls[calls:] == [], "an apply of an empty plan made mutating calls"
    assert registrations(aws) == 1
    assert aws.clients.mutations.calls.count("ecs.UpdateService") == 0


def test_the_aws_filled_fields_are_named_once(aws: Any, manifests: Path) -> None:
    """The apply that registers says which fields AWS filled in; later plans are quiet about them."""
    report(aws, _fault_injection)
    [message] = apply_once(aws, manifests)
    assert "AWS reports enableFaultInjection, which was not sent" in message
    plan = plan_of(aws, manifests)
    assert not plan.warnings and not plan.has_changes


def test_without_the_guard_the_field_would_be_drift(aws: Any, manifests: Path) -> None:
    """The field is a real difference for the ordinary diff (so the guard is what keeps the plan empty): a
    revision registered before the loop guard existed (no digest tags) shows it, once."""
    apply_once(aws, manifests)
    latest = aws.ecs.describe_task_definition("web")
    arn = latest[0]["taskDefinitionArn"]
    aws.clients.ecs.untag_resource(resourceArn=arn, tagKeys=[SENT_DIGEST_TAG, READBACK_TAG])
    report(aws, _fault_injection)
    [change] = [c for c in plan_of(aws, manifests).changes if c.is_change and str(c.key) == "TaskDefinition/web"]
    assert [(f.path, f.before, f.after) for f in change.fields] == [("enableFaultInjection", False, None)]
    aws.clients.mutations.calls.clear()
    apply_once(aws, manifests)  # registers once more, with the digest tags this time...
    for _ in range(2):  # ...and never again
        assert not plan_of(aws, manifests).has_changes
        apply_once(aws, manifests)
    assert registrations(aws) == 1


def _console_revision(aws: Any, edit: Edit) -> str:
    """What the console's "create new revision" does: copy the latest revision (and its tags), change it."""
    td, tags = aws.ecs.describe_task_definition("web")
    body = {k: copy.deepcopy(v) for k, v in td.items() if k in (
        "containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn",
        "runtimePlatform", "taskRoleArn", "volumes")}
    edit(body)
    out = aws.clients.ecs.register_task_definition(family="web", tags=tags, **body)
    return str(out["taskDefinition"]["taskDefinitionArn"])


@pytest.mark.parametrize("edit,path", [
    (lambda td: td["containerDefinitions"][0].update(image="nginx:console"), "containerDefinitions[web].image"),
    (lambda td: td.update(enableFaultInjection=True), "enableFaultInjection"),
    (lambda td: td["containerDefinitions"][0].update(user="root"), "containerDefinitions[web].user"),
], ids=["changed", "added-field", "added-container-field"])
def test_a_console_revision_that_copies_our_tags_is_still_drift(aws: Any, manifests: Path, edit: Edit,
                                                                 path: str) -> None:
    """A new revision made outside the product, even with our tags copied onto it, shows as drift and is
    replaced by the manifest's content."""
    apply_once(aws, manifests)
    arn = _console_revision(aws, edit)
    assert tags_to_map(aws.ecs.describe_task_definition(arn)[1])[SENT_DIGEST_TAG]  # the tags were copied
    [change] = [c for c in plan_of(aws, manifests).changes if c.is_change and str(c.key) == "TaskDefinition/web"]
    assert [f.path for f in change.fields] == [path] and change.reason == "registers a new revision"
    aws.clients.mutations.calls.clear()
    [message] = apply_once(aws, manifests)
    assert message.startswith("registered web:3")
    assert not plan_of(aws, manifests).has_changes


def test_a_crash_before_the_read_back_is_recorded_without_a_new_revision(aws: Any, manifests: Path) -> None:
    """A revision with our sent digest but no read-back (the process died between RegisterTaskDefinition and the
    read-back): the plan records the read-back, a tag, and registers nothing."""
    apply_once(aws, manifests)
    arn = aws.ecs.describe_task_definition("web")[0]["taskDefinitionArn"]
    aws.clients.ecs.untag_resource(resourceArn=arn, tagKeys=[READBACK_TAG])
    report(aws, _fault_injection)
    [change] = [c for c in plan_of(aws, manifests).changes if c.is_change]
    assert change.action is Action.UPDATE
    assert [f.path for f in change.fields] == [f"tags[{READBACK_TAG}]", f"tags[{AWS_FILLED_TAG}]"]
    assert "enableFaultInjection" in change.reason and "no new revision" in change.reason
    aws.clients.mutations.calls.clear()
    [message] = apply_once(aws, manifests)
    assert message.startswith("recorded what AWS reports for web:1")
    assert aws.clients.mutations.calls == ["ecs.TagResource"]
    assert not plan_of(aws, manifests).has_changes


def test_aws_reporting_a_new_field_on_an_old_revision_is_recorded_once(aws: Any, manifests: Path) -> None:
    """Revisions are immutable, but describe output changes (AWS added configuredAtLaunch, enableFaultInjection
    over the years): our revision is re-recorded once, not registered again."""
    apply_once(aws, manifests)
    report(aws, _new_container_field)
    [change] = [c for c in plan_of(aws, manifests).changes if c.is_change]
    assert [f.path for f in change.fields] == [f"tags[{READBACK_TAG}]", f"tags[{AWS_FILLED_TAG}]"]
    assert change.fields[1].after == "containerDefinitions[web].restartPolicy"
    aws.clients.mutations.calls.clear()
    apply_once(aws, manifests)
    assert aws.clients.mutations.calls == ["ecs.TagResource"]
    assert not plan_of(aws, manifests).has_changes


def test_a_manifest_change_still_registers_exactly_one_revision(aws: Any, manifests: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With AWS filling a field in, a real change (the image) registers one new revision, and only one."""
    report(aws, _fault_injection)
    apply_once(aws, manifests)
    monkeypatch.setenv("IMAGE_TAG", "2.0.0")
    [change] = [c for c in plan_of(aws, manifests).changes if str(c.key) == "TaskDefinition/web"]
    assert [f.path for f in change.fields] == ["containerDefinitions[web].image"]
    aws.clients.mutations.calls.clear()
    apply_once(aws, manifests)
    apply_once(aws, manifests)
    assert registrations(aws) == 1
    assert not plan_of(aws, manifests).has_changes


def test_digest_tags_fit_aws_limits(aws: Any, manifests: Path) -> None:
    """Tag values are at most 256 characters, keys at most 128."""
    apply_once(aws, manifests)
    tags = tags_to_map(aws.ecs.describe_task_definition("web")[1])
    for key in (SENT_DIGEST_TAG, READBACK_TAG):
        assert len(key) <= 128 and 0 < len(tags[key]) <= 256
    assert tags[READBACK_TAG].startswith("1:")
