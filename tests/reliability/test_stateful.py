"""A Hypothesis state machine edits the manifests at random (image, count, environment with empty values, tags,
cpu/memory units, a bare volume, the cluster's Service Connect namespace by name, a repository policy principal as
an account id or its root ARN) and applies after each edit, while AWS reports a field the registration did not
send. After every step: the plan is empty, a second apply makes no mutating call, live matches the manifests, and
a revision was registered exactly when the task definition's content changed. Derandomized and bounded."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from reconciler import loader, pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.model.keys import Kind
from reconciler.planning.loopguard import sent_digest
from reconciler.planning.normalize import canonical

from ..conftest import REGION

OWNER = "reconciler"
ACCOUNT = "123456789012"


def _task_definition(model: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": model["cpu"], "memory": model["memory"],
        "containerDefinitions": [{
            "name": "app", "image": f"nginx:{model['image']}", "portMappings": [{"containerPort": 80}],
            "environment": [{"name": k, "value": v} for k, v in sorted(model["env"].items())],
        }],
        "tags": [{"key": k, "value": v} for k, v in sorted(model["tags"].items())],
    }
    if model["volume"]:
        spec["volumes"] = [{"name": "scratch"}]
        spec["containerDefinitions"][0]["mountPoints"] = [{"sourceVolume": "scratch", "containerPath": "/scratch"}]
    return spec


def documents(model: dict[str, Any]) -> list[dict[str, Any]]:
    principal = ACCOUNT if model["principal_as_id"] else f"arn:aws:iam::{ACCOUNT}:root"
    return [
        {"kind": "Cluster", "metadata": {"name": "prop"},
         "spec": {"serviceConnectDefaults": {"namespace": model["namespace"]}}},
        {"kind": "Repository", "metadata": {"name": "prop"}, "spec": {"repositoryPolicy": {
            "Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": principal},
                                                    "Action": ["ecr:BatchGetImage"]}]}}},
        {"kind": "TaskDefinition", "metadata": {"name": "prop"}, "spec": _task_definition(model)},
        {"kind": "Service", "metadata": {"name": "prop"}, "spec": {
            "cluster": "prop", "taskDefinition": "prop", "desiredCount": model["count"], "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0a0a0a0a0a0a0a0a1"]}}}},
    ]


class Reconcile(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from moto import mock_aws

        from reconciler.sandbox import get_pace, install_ecs_fixes, set_pace
        from reconciler.sandbox.seed import seed_sandbox

        install_ecs_fixes()
        self.pace = get_pace()
        set_pace(0.02)
        self.mock = mock_aws()
        self.mock.start()
        seed_sandbox(None, REGION)
        self.conn = pipeline.connect(AwsSettings(region=REGION))
        self.conn.clients.ecs.meta.events.register("after-call.ecs.DescribeTaskDefinition", self._aws_fills_in)
        self.tmp = TemporaryDirectory()
        self.path = Path(self.tmp.name)
        self.model: dict[str, Any] = {}
        self.sent: str | None = None  # the task definition content digest of the last apply

    @staticmethod
    def _aws_fills_in(parsed: dict[str, Any], **_: Any) -> None:
        if "taskDefinition" in parsed:
            parsed["taskDefinition"].setdefault("enableFaultInjection", False)

    def teardown(self) -> None:
        from reconciler.sandbox import set_pace

        self.mock.stop()
        self.tmp.cleanup()
        set_pace(self.pace)

    @initialize()
    def start(self) -> None:
        self.model = {"image": "1.0", "count": 1, "env": {"MODE": "a"}, "tags": {"team": "a"}, "cpu": "256",
                      "memory": "512", "volume": False, "namespace": "alpha", "principal_as_id": True}
        self.apply_and_check()

    @rule(tag=st.sampled_from(["1.0", "1.1", "2.0"]))
    def image(self, tag: str) -> None:
        self.model["image"] = tag
        self.apply_and_check()

    @rule(count=st.integers(0, 3))
    def desired_count(self, count: int) -> None:
        self.model["count"] = count
        self.apply_and_check()

    @rule(name=st.sampled_from(["MODE", "EMPTY", "FLAG"]), value=st.sampled_from(["", "a", "b"]))
    def set_env(self, name: str, value: str) -> None:
        self.model["env"][name] = value
        self.apply_and_check()

    @rule(name=st.sampled_from(["MODE", "EMPTY", "FLAG"]))
    def remove_env(self, name: str) -> None:
        self.model["env"].pop(name, None)
        self.apply_and_check()

    @rule(key=st.sampled_from(["team", "tier"]), value=st.sampled_from(["a", "b", None]))
    def tag(self, key: str, value: str | None) -> None:
        if value is None:
            self.model["tags"].pop(key, None)
        else:
            self.model["tags"][key] = value
        self.apply_and_check()

    @rule(units=st.sampled_from([("256", "512"), (".25 vCPU", "512"), ("512", "1 GB"), ("0.5 vcpu", "1024")]))
    def size(self, units: tuple[str, str]) -> None:
        self.model["cpu"], self.model["memory"] = units
        self.apply_and_check()

    @rule()
    def toggle_volume(self) -> None:
        self.model["volume"] = not self.model["volume"]
        self.apply_and_check()

    @rule(namespace=st.sampled_from(["alpha", "beta"]))
    def namespace(self, namespace: str) -> None:
        self.model["namespace"] = namespace
        self.apply_and_check()

    @rule()
    def principal_form(self) -> None:
        self.model["principal_as_id"] = not self.model["principal_as_id"]
        self.apply_and_check()

    def apply_and_check(self) -> None:
        for i, doc in enumerate(documents(self.model)):
            (self.path / f"{i}.yaml").write_text(json.dumps({"apiVersion": "reconciler/v1", **doc}))
        manifests = loader.load([str(self.path)])
        [td] = [m for m in manifests.manifests if m.kind is Kind.TASK_DEFINITION]
        content = sent_digest(canonical(Kind.TASK_DEFINITION, td.spec))
        calls = self.conn.clients.mutations.calls
        calls.clear()
        plan, live = pipeline.plan(manifests, self.conn, pipeline.PlanOptions(owner=OWNER))
        assert not plan.errors, plan.errors
        result = pipeline.apply(plan, live, manifests, self.conn, OWNER, poll_seconds=0.05).result
        assert result.ok, result.outcomes
        registered = calls.count("ecs.RegisterTaskDefinition")
        assert registered == (1 if content != self.sent else 0), (registered, plan.changes)
        self.sent = content

    @invariant()
    def converged(self) -> None:
        if not self.model:
            return
        manifests = loader.load([str(self.path)])
        plan, live = pipeline.plan(manifests, self.conn, pipeline.PlanOptions(owner=OWNER))
        assert not plan.has_changes, [(str(c.key), c.fields) for c in plan.changes if c.is_change]
        calls = self.conn.clients.mutations.calls
        calls.clear()
        pipeline.apply(plan, live, manifests, self.conn, OWNER, poll_seconds=0.05)
        assert calls == [], calls
        service = self.conn.ecs.describe_services("prop", ["prop"])["prop"]
        assert service["desiredCount"] == self.model["count"]
        td = self.conn.ecs.describe_task_definition(service["taskDefinition"])[0]
        container = td["containerDefinitions"][0]
        assert container["image"] == f"nginx:{self.model['image']}"
        assert {e["name"]: e["value"] for e in container.get("environment", [])} == {
            k: v for k, v in self.model["env"].items() if v}
        assert bool(td.get("volumes")) == self.model["volume"]


@pytest.mark.usefixtures("aws_env")
def test_random_edits_always_converge() -> None:
    Reconcile.TestCase.settings = settings(
        max_examples=4, stateful_step_count=8, derandomize=True, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow])
    Reconcile.TestCase().runTest()
