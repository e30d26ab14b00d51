"""The sandbox scheduler: ECS services roll out, tasks start, crash, run and stop over time, as in real ECS.

In-process only (``moto.mock_aws`` + ``install_ecs_fixes``) with a fast pace; every wait polls with a deadline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from reconciler.sandbox import get_pace, install_ecs_fixes, set_pace
from reconciler.sandbox.scheduler import circuit_breaker_threshold, clock, crash_reason

REGION = "us-east-1"
PACE = 0.02
SLOW_PACE = 0.25  # for tests that observe a passing state: each lasts several steps, i.e. a second or more
FAST_WAITER = {"Delay": 0.02, "MaxAttempts": 250}
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def pace() -> Iterator[Callable[[float], None]]:
    saved = get_pace()
    set_pace(PACE)
    yield set_pace
    set_pace(saved)


_SESSIONS: list[boto3.session.Session] = []  # one session: loading botocore's models per client is slow


class Aws:
    def __init__(self) -> None:
        config = Config(retries={"max_attempts": 1})
        if not _SESSIONS:
            _SESSIONS.append(boto3.session.Session(region_name=REGION))
        session = _SESSIONS[0]
        self.ecs: Any = session.client("ecs", config=config)
        self.ec2: Any = session.client("ec2", config=config)
        self.ecs.create_cluster(clusterName="c1")
        subnets = self.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        self.network = {"awsvpcConfiguration": {"subnets": [s["SubnetId"] for s in subnets][:2]}}

    def register(self, image: str = "nginx:1.27", family: str = "web", *, fargate: bool = True,
                 environment: dict[str, str] | None = None, extra: list[dict[str, Any]] | None = None) -> str:
        app: dict[str, Any] = {"name": "app", "image": image}
        if environment:
            app["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
        kwargs: dict[str, Any] = {"family": family, "containerDefinitions": [app, *(extra or [])]}
        if fargate:
            kwargs.update(requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512")
        else:
            app["memory"] = 128
        arn: str = self.ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
        return arn

    def create(self, name: str, task_definition: str, desired: int = 2, **kwargs: Any) -> None:
        if "launchType" not in kwargs and "capacityProviderStrategy" not in kwargs:
            kwargs["launchType"] = "FARGATE"
        if kwargs.get("launchType") != "EC2":
            kwargs.setdefault("networkConfiguration", self.network)
        self.ecs.create_service(cluster="c1", serviceName=name, taskDefinition=task_definition,
                                desiredCount=desired, **kwargs)

    def service(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.ecs.describe_services(cluster="c1", services=[name])["services"][0]
        return found

    def tasks(self, **filters: Any) -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster="c1", **filters)["taskArns"]
        if not arns:
            return []
        found: list[dict[str, Any]] = self.ecs.describe_tasks(cluster="c1", tasks=arns)["tasks"]
        return found

    def stable(self, name: str) -> dict[str, Any]:
        return wait_until(lambda: self._stable(name), f"service {name} stable")

    def _stable(self, name: str) -> dict[str, Any] | None:
        service = self.service(name)
        deployments = service["deployments"]
        done = (len(deployments) == 1 and service["runningCount"] == service["desiredCount"]
                and deployments[0]["rolloutState"] == "COMPLETED")
        return service if done else None

    def instance(self) -> str:
        instance_id = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
        document = json.dumps({"instanceId": instance_id["InstanceId"], "region": REGION})
        ci = self.ecs.register_container_instance(cluster="c1", instanceIdentityDocument=document)
        arn: str = ci["containerInstance"]["containerInstanceArn"]
        return arn


@pytest.fixture
def aws(pace: Callable[[float], None]) -> Iterator[Aws]:
    install_ecs_fixes()
    with mock_aws():
        yield Aws()


def wait_until(probe: Callable[[], T | None], what: str, timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def messages(service: dict[str, Any]) -> list[str]:
    return [e["message"] for e in service["events"]]


def primary(service: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
    return found


# ------------------------------------------------------------------------------------------ 1: deployments


def test_new_service_gets_one_primary_deployment_that_completes(aws: Aws) -> None:
    """ECS: a new service has one PRIMARY deployment, IN_PROGRESS until desiredCount tasks run, then COMPLETED."""
    td = aws.register()
    aws.create("web", td, 2)
    first = aws.service("web")
    assert len(first["deployments"]) == 1
    deployment = first["deployments"][0]
    assert deployment["id"].startswith("ecs-svc/") and deployment["id"][8:].isdigit()
    assert deployment["status"] == "PRIMARY"
    assert deployment["taskDefinition"] == td
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert deployment["launchType"] == "FARGATE"
    assert deployment["networkConfiguration"] == aws.network
    for key in ("desiredCount", "pendingCount", "runningCount", "failedTasks", "createdAt", "updatedAt",
                "rolloutStateReason"):
        assert key in deployment

    done = aws.stable("web")
    deployment = done["deployments"][0]
    assert (deployment["runningCount"], deployment["pendingCount"], deployment["failedTasks"]) == (2, 0, 0)
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert done["runningCount"] == 2 and done["pendingCount"] == 0
    events = messages(done)
    assert events[0] == "(service web) has reached a steady state."
    assert events[1] == f"(service web) (deployment {deployment['id']}) deployment completed."
    started = next(m for m in events if "has started" in m)
    ids = [t["taskArn"].split("/")[-1] for t in aws.tasks(serviceName="web")]
    assert started.startswith("(service web) has started 2 tasks: (task ")
    assert all(f"(task {i})" in started for i in ids) and started.endswith(").")
    created = [e["createdAt"] for e in done["events"]]
    assert created == sorted(created, reverse=True)  # newest first


def test_services_stable_waiter_succeeds_after_rollout(aws: Aws) -> None:
    """ECS: the services_stable waiter (one deployment, runningCount == desiredCount) succeeds once rolled out."""
    aws.create("web", aws.register(), 3)
    assert aws.service("web")["runningCount"] == 0
    aws.ecs.get_waiter("services_stable").wait(cluster="c1", services=["web"],
                                               WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    assert aws.service("web")["runningCount"] == 3


def test_task_definition_update_creates_primary_and_retires_active(aws: Aws) -> None:
    """ECS: UpdateService(taskDefinition) adds a PRIMARY deployment; the old one turns ACTIVE and is drained."""
    v1, v2 = aws.register("nginx:1"), aws.register("nginx:2")
    aws.create("web", v1, 2)
    old = primary(aws.stable("web"))
    updated = aws.ecs.update_service(cluster="c1", service="web", taskDefinition=v2)["service"]
    assert [(d["status"], d["taskDefinition"]) for d in updated["deployments"]] == [("PRIMARY", v2), ("ACTIVE", v1)]
    assert updated["deployments"][1]["id"] == old["id"]
    assert updated["taskDefinition"] == v2

    done = aws.stable("web")
    assert primary(done)["taskDefinition"] == v2 and primary(done)["id"] != old["id"]
    running = aws.tasks(serviceName="web")
    assert len(running) == 2 and {t["taskDefinitionArn"] for t in running} == {v2}
    assert all(t["lastStatus"] == "RUNNING" for t in running)
    assert any(m.startswith("(service web) has stopped 2 running tasks: (task ") for m in messages(done))


@pytest.mark.parametrize(
    "change",
    [{"forceNewDeployment": True}, {"platformVersion": "1.4.0"}, {"networkConfiguration": "other"}],
    ids=["force", "platformVersion", "networkConfiguration"],
)
def test_fields_that_need_a_deployment_start_one(aws: Aws, change: dict[str, Any]) -> None:
    """ECS: forceNewDeployment, platformVersion and networkConfiguration changes start a new deployment."""
    aws.create("web", aws.register(), 1)
    before = primary(aws.stable("web"))["id"]
    if change.get("networkConfiguration") == "other":
        change = {"networkConfiguration": {"awsvpcConfiguration": {
            "subnets": aws.network["awsvpcConfiguration"]["subnets"][:1], "assignPublicIp": "ENABLED"}}}
    service = aws.ecs.update_service(cluster="c1", service="web", **change)["service"]
    assert len(service["deployments"]) == 2 and primary(service)["id"] != before
    assert primary(aws.stable("web"))["id"] != before


def test_desired_count_change_keeps_the_deployment(aws: Aws) -> None:
    """ECS: a desiredCount-only update scales the PRIMARY deployment without a new deployment."""
    aws.create("web", aws.register(), 1)
    deployment = primary(aws.stable("web"))["id"]
    service = aws.ecs.update_service(cluster="c1", service="web", desiredCount=3)["service"]
    assert [d["id"] for d in service["deployments"]] == [deployment]
    assert service["deployments"][0]["desiredCount"] == 3
    assert service["runningCount"] == 1  # not yet: tasks start over the next steps
    assert aws.stable("web")["runningCount"] == 3

    aws.ecs.update_service(cluster="c1", service="web", desiredCount=1)
    done = wait_until(lambda: (s := aws.service("web"))["runningCount"] == 1 and s, "scale in")
    assert [d["id"] for d in done["deployments"]] == [deployment]
    assert any(m.startswith("(service web) has stopped 2 running tasks") for m in messages(done))
    assert len(aws.tasks(serviceName="web")) == 1


def test_rolling_update_stays_within_maximum_and_minimum_percent(aws: Aws, pace: Callable[[float], None]) -> None:
    """ECS: during a rollout running+pending <= floor(desired*max%), running >= ceil(desired*min%)."""
    config = {"maximumPercent": 150, "minimumHealthyPercent": 50}
    aws.create("web", aws.register("nginx:1"), 4, deploymentConfiguration=config)
    aws.stable("web")
    # Steps long enough for every poll to land inside the rollout, however slow the machine (a request runs
    # all the steps that are due before it answers, so fast steps and slow polls would skip through it).
    pace(SLOW_PACE)
    aws.ecs.update_service(cluster="c1", service="web", taskDefinition=aws.register("nginx:2"))
    during = 0
    deadline = time.monotonic() + 60
    while True:
        service = aws.service("web")
        assert service["runningCount"] + service["pendingCount"] <= 6, service["deployments"]
        assert service["runningCount"] >= 2, service["deployments"]
        if len(service["deployments"]) == 1 and service["runningCount"] == 4:
            break
        during += 1
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert during > 0  # the rollout was seen in progress, not only once it was done


def test_deployment_configuration_that_allows_no_progress_is_reported(aws: Aws) -> None:
    """ECS: with maximumPercent 100 and minimumHealthyPercent 100 a rollout cannot proceed, and says so."""
    config = {"maximumPercent": 100, "minimumHealthyPercent": 100}
    aws.create("web", aws.register("nginx:1"), 2, deploymentConfiguration=config)
    aws.stable("web")
    aws.ecs.update_service(cluster="c1", service="web", taskDefinition=aws.register("nginx:2"))
    wait_until(lambda: any("was unable to stop or start tasks during a deployment because of the service "
                           "deployment configuration" in m for m in messages(aws.service("web"))), "event")
    assert len(aws.service("web")["deployments"]) == 2


# ---------------------------------------------------------------------------------------------- 2: events


def test_events_are_capped_at_one_hundred_newest_first(aws: Aws, pace: Callable[[float], None]) -> None:
    """ECS: describe-services returns at most the 100 most recent events, newest first."""
    pace(0.002)
    aws.create("web", aws.register("nginx:crash"), 2)
    service = wait_until(lambda: (s := aws.service("web"))["deployments"][0]["failedTasks"] >= 240 and s,
                         "many failures")
    assert len(service["events"]) == 100
    created = [e["createdAt"] for e in service["events"]]
    assert created == sorted(created, reverse=True)
    assert len({e["id"] for e in service["events"]}) == 100


# ----------------------------------------------------------------------------------------- 3: service tasks


def test_list_tasks_filters_by_service_and_desired_status(aws: Aws) -> None:
    """ECS: ListTasks(serviceName) lists only that service's tasks; stopped ones need desiredStatus=STOPPED."""
    v1 = aws.register("nginx:1")
    aws.create("web", v1, 2)
    aws.create("api", aws.register("api:1", family="api"), 1)
    web, api = primary(aws.stable("web")), aws.stable("api")
    web_tasks = aws.tasks(serviceName="web")
    assert len(web_tasks) == 2 and len(aws.tasks(serviceName="api")) == 1
    assert aws.tasks(serviceName="nothing") == []
    for task in web_tasks:
        assert task["startedBy"] == web["id"]
        assert task["group"] == "service:web"
        assert task["taskDefinitionArn"] == v1
        assert (task["lastStatus"], task["desiredStatus"]) == ("RUNNING", "RUNNING")
        assert task["createdAt"] <= task["startedAt"]
        assert "stoppedAt" not in task and "stopCode" not in task
        assert [(c["name"], c["lastStatus"]) for c in task["containers"]] == [("app", "RUNNING")]
        assert "exitCode" not in task["containers"][0]
    assert api["runningCount"] == 1

    aws.ecs.update_service(cluster="c1", service="web", taskDefinition=aws.register("nginx:2"))
    aws.stable("web")
    stopped = aws.tasks(serviceName="web", desiredStatus="STOPPED")
    assert {t["taskArn"] for t in stopped} == {t["taskArn"] for t in web_tasks}
    for task in stopped:
        assert (task["lastStatus"], task["desiredStatus"]) == ("STOPPED", "STOPPED")
        assert task["stopCode"] == "ServiceSchedulerInitiated"
        current = primary(aws.service("web"))["id"]
        assert task["stoppedReason"] == f"Scaling activity initiated by (deployment {current})"
        assert task["startedAt"] <= task["stoppedAt"]
        assert task["containers"][0]["exitCode"] == 0
    assert all(t["desiredStatus"] == "RUNNING" for t in aws.tasks(serviceName="web"))


def test_every_container_is_reported(aws: Aws) -> None:
    """ECS: DescribeTasks lists every container of the task definition (moto lists only the first)."""
    td = aws.register(extra=[{"name": "sidecar", "image": "envoy:1", "essential": False}])
    aws.create("web", td, 1)
    aws.stable("web")
    task = aws.tasks(serviceName="web")[0]
    assert [(c["name"], c["image"], c["lastStatus"]) for c in task["containers"]] == [
        ("app", "nginx:1.27", "RUNNING"), ("sidecar", "envoy:1", "RUNNING")]


def test_task_goes_through_one_state_per_step(aws: Aws, pace: Callable[[float], None]) -> None:
    """ECS task lifecycle: PROVISIONING -> PENDING -> RUNNING -> STOPPED, one state per scheduler step."""
    pace(0.25)  # slow enough that polling sees every state even on a loaded machine
    td = aws.register(environment={"SANDBOX_RUN_STEPS": "2"})
    arn = aws.ecs.run_task(cluster="c1", taskDefinition=td, launchType="FARGATE",
                           networkConfiguration=aws.network)["tasks"][0]["taskArn"]
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while not seen or seen[-1] != "STOPPED":
        status = aws.ecs.describe_tasks(cluster="c1", tasks=[arn])["tasks"][0]["lastStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert seen == ["PROVISIONING", "PENDING", "RUNNING", "STOPPED"]


def test_stop_task_on_a_service_task_is_user_initiated_and_replaced(aws: Aws) -> None:
    """ECS: StopTask sets desiredStatus STOPPED (stopCode UserInitiated); the service starts a replacement."""
    aws.create("web", aws.register(), 1)
    aws.stable("web")
    victim = aws.tasks(serviceName="web")[0]["taskArn"]
    stopped = aws.ecs.stop_task(cluster="c1", task=victim, reason="testing")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    task = wait_until(lambda: (t := aws.ecs.describe_tasks(cluster="c1", tasks=[victim])["tasks"][0])
                      ["lastStatus"] == "STOPPED" and t, "stopped")
    wait_until(lambda: aws._stable("web") and [t["taskArn"] for t in aws.tasks(serviceName="web")] != [victim],
               "replacement")
    assert (task["lastStatus"], task["stopCode"], task["stoppedReason"]) == ("STOPPED", "UserInitiated", "testing")


# ------------------------------------------------------------------------------------ 4: crash and breaker


@pytest.mark.parametrize(
    ("image", "env", "expected"),
    [
        ("nginx:crash", {}, "image marked to crash"),
        ("registry.example.com:5000/web:1.2-crash", {}, "image marked to crash"),
        ("web@sha256:abc", {"SANDBOX_CRASH": "true"}, "SANDBOX_CRASH=true"),
        ("crash-reporter:1.0", {}, None),
        ("registry:5000/crash", {}, None),
        ("nginx", {"SANDBOX_CRASH": "false"}, None),
    ],
)
def test_crash_markers(image: str, env: dict[str, str], expected: str | None) -> None:
    """Sandbox contract: an image tag containing 'crash' or SANDBOX_CRASH=true marks a container to crash."""
    assert crash_reason({"name": "app", "image": image}, env) == expected


def test_circuit_breaker_threshold_follows_aws_formula() -> None:
    """ECS circuit breaker: failed tasks threshold is ceil(0.5 x desiredCount), at least 3, at most 200."""
    assert [circuit_breaker_threshold(n) for n in (0, 1, 6, 7, 10, 399, 400, 1000)] == [3, 3, 3, 4, 5, 200, 200, 200]


def test_crashing_service_without_circuit_breaker_keeps_retrying(aws: Aws) -> None:
    """ECS: without a circuit breaker failed tasks are replaced forever; failedTasks grows, IN_PROGRESS stays."""
    aws.create("web", aws.register("nginx:crash"), 1)
    service = wait_until(lambda: (s := aws.service("web"))["deployments"][0]["failedTasks"] >= 5 and s, "failures")
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert service["runningCount"] == 0
    assert ("(service web) is unable to consistently start tasks successfully. For more information, see the "
            "Troubleshooting section of the Amazon ECS Developer Guide.") in messages(service)
    stopped = aws.tasks(serviceName="web", desiredStatus="STOPPED")
    assert len(stopped) >= 5
    for task in stopped:
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == "Essential container in task exited"
        assert "startedAt" not in task  # never ran
        container = task["containers"][0]
        assert container["exitCode"] == 1 and container["lastStatus"] == "STOPPED"
        assert container["reason"].startswith("CannotStartContainerError: ")
        assert container["reason"].endswith("(sandbox: image marked to crash)")


def test_environment_crash_marker_fails_the_task(aws: Aws) -> None:
    """Sandbox contract: SANDBOX_CRASH=true in the container environment makes service tasks fail to start."""
    aws.create("web", aws.register("nginx:1", environment={"SANDBOX_CRASH": "true"}), 1)
    wait_until(lambda: aws.service("web")["deployments"][0]["failedTasks"] >= 1, "a failure")
    task = aws.tasks(serviceName="web", desiredStatus="STOPPED")[0]
    assert task["containers"][0]["reason"].endswith("(sandbox: SANDBOX_CRASH=true)")


def test_circuit_breaker_rolls_back_to_last_completed_deployment(aws: Aws, pace: Callable[[float], None]) -> None:
    """ECS circuit breaker with rollback: FAILED after the threshold, then a new PRIMARY on the last good revision."""
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    good, bad = aws.register("nginx:1"), aws.register("nginx:crash")
    aws.create("web", good, 2, deploymentConfiguration=breaker)
    completed = primary(aws.stable("web"))["id"]
    pace(SLOW_PACE)  # the rollback is observed while both deployments exist: keep that state for a while
    aws.ecs.update_service(cluster="c1", service="web", taskDefinition=bad)

    def rolled_back() -> dict[str, Any] | None:
        service = aws.service("web")
        return service if primary(service)["taskDefinition"] == good and len(service["deployments"]) > 1 else None

    during = wait_until(rolled_back, "rollback", timeout=60)
    failed = next(d for d in during["deployments"] if d["taskDefinition"] == bad)
    assert failed["status"] == "ACTIVE" and failed["rolloutState"] == "FAILED"
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert failed["failedTasks"] >= 3
    assert during["taskDefinition"] == good
    assert primary(during)["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {completed}.")
    events = messages(during)
    assert f"(service web) (deployment {failed['id']}) deployment failed: tasks failed to start." in events
    assert f"(service web) rolling back to deployment {completed}." in events

    done = aws.stable("web")
    assert done["taskDefinition"] == good and primary(done)["taskDefinition"] == good
    assert {t["taskDefinitionArn"] for t in aws.tasks(serviceName="web")} == {good}


def test_circuit_breaker_without_rollback_leaves_failed_primary(aws: Aws) -> None:
    """ECS circuit breaker without rollback: the deployment stays PRIMARY and FAILED and launches nothing more."""
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    good, bad = aws.register("nginx:1"), aws.register("nginx:crash")
    aws.create("web", good, 2, deploymentConfiguration=breaker)
    aws.stable("web")
    aws.ecs.update_service(cluster="c1", service="web", taskDefinition=bad)
    service = wait_until(lambda: (s := aws.service("web")) and primary(s)["rolloutState"] == "FAILED" and s,
                         "failure")
    failed_tasks = primary(service)["failedTasks"]
    time.sleep(PACE * 10)
    later = aws.service("web")
    assert primary(later)["failedTasks"] == failed_tasks
    assert primary(later)["taskDefinition"] == bad and later["taskDefinition"] == bad
    assert [d["status"] for d in later["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert later["runningCount"] == 2  # the old tasks keep running
    assert not any("rolling back" in m for m in messages(later))


def test_circuit_breaker_on_a_new_service_has_nothing_to_roll_back(aws: Aws) -> None:
    """ECS: rollback needs a previous COMPLETED deployment; a brand-new failing service just stays FAILED."""
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    aws.create("web", aws.register("nginx:crash"), 1, deploymentConfiguration=breaker)
    service = wait_until(lambda: (s := aws.service("web"))["deployments"][0]["rolloutState"] == "FAILED" and s,
                         "failure")
    time.sleep(PACE * 5)
    service = aws.service("web")
    assert len(service["deployments"]) == 1 and service["deployments"][0]["status"] == "PRIMARY"
    assert service["deployments"][0]["failedTasks"] == 3
    assert not any("rolling back" in m for m in messages(service))


# ------------------------------------------------------------------------------------------------ 5: delete


def test_delete_service_drains_tasks_then_turns_inactive(aws: Aws) -> None:
    """ECS: DeleteService -> DRAINING while its tasks stop, then INACTIVE (describable, not listed, name reusable)."""
    td = aws.register()
    aws.create("web", td, 2)
    aws.stable("web")
    deleted = aws.ecs.delete_service(cluster="c1", service="web", force=True)["service"]
    assert deleted["status"] == "DRAINING" and deleted["desiredCount"] == 0
    wait_until(lambda: aws.service("web")["status"] == "INACTIVE", "INACTIVE")
    assert aws.tasks(serviceName="web") == []
    assert len(aws.tasks(serviceName="web", desiredStatus="STOPPED")) == 2
    assert aws.ecs.list_services(cluster="c1")["serviceArns"] == []
    aws.create("web", td, 1)
    assert aws.stable("web")["status"] == "ACTIVE"


def test_scale_to_zero_stops_tasks_over_steps(aws: Aws) -> None:
    """ECS: UpdateService(desiredCount=0) stops the running tasks over the next steps."""
    aws.create("web", aws.register(), 2)
    aws.stable("web")
    assert aws.ecs.update_service(cluster="c1", service="web", desiredCount=0)["service"]["runningCount"] == 2
    done = aws.stable("web")
    assert done["runningCount"] == 0 and aws.tasks(serviceName="web") == []


# -------------------------------------------------------------------------------------------- 6: run task


def test_run_task_runs_then_exits_with_the_configured_exit_code(aws: Aws) -> None:
    """ECS RunTask: the task runs, then its essential container exits; exit codes come from SANDBOX_EXIT_CODE."""
    set_pace(0.1)  # 25 running steps = 2.5 s: the RUNNING waiter sees it even on a loaded machine
    td = aws.register(environment={"SANDBOX_EXIT_CODE": "3", "SANDBOX_RUN_STEPS": "50"},
                      extra=[{"name": "helper", "image": "busybox", "essential": False}])
    overrides = {"containerOverrides": [{"name": "app", "environment": [
        {"name": "SANDBOX_EXIT_CODE", "value": "5"}, {"name": "SANDBOX_RUN_STEPS", "value": "25"}]}]}
    run = aws.ecs.run_task(cluster="c1", taskDefinition=td, launchType="FARGATE", networkConfiguration=aws.network,
                           overrides=overrides, startedBy="migrations", group="family:jobs")
    task = run["tasks"][0]
    assert (task["lastStatus"], task["desiredStatus"]) == ("PROVISIONING", "RUNNING")
    arn = task["taskArn"]
    aws.ecs.get_waiter("tasks_running").wait(cluster="c1", tasks=[arn], WaiterConfig=FAST_WAITER)
    aws.ecs.get_waiter("tasks_stopped").wait(cluster="c1", tasks=[arn], WaiterConfig=FAST_WAITER)
    task = aws.ecs.describe_tasks(cluster="c1", tasks=[arn])["tasks"][0]
    assert (task["lastStatus"], task["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert {c["name"]: c["exitCode"] for c in task["containers"]} == {"app": 5, "helper": 0}
    assert (task["startedBy"], task["group"]) == ("migrations", "family:jobs")
    assert task["createdAt"] <= task["startedAt"] <= task["stoppedAt"]
    assert [t["taskArn"] for t in aws.tasks(startedBy="migrations", desiredStatus="STOPPED")] == [arn]
    assert aws.tasks(startedBy="migrations") == []


def test_run_task_defaults_to_exit_code_zero(aws: Aws) -> None:
    """Sandbox contract: without SANDBOX_EXIT_CODE a one-off task exits 0 after the default 2 running steps."""
    arn = aws.ecs.run_task(cluster="c1", taskDefinition=aws.register(), launchType="FARGATE",
                           networkConfiguration=aws.network)["tasks"][0]["taskArn"]
    aws.ecs.get_waiter("tasks_stopped").wait(cluster="c1", tasks=[arn], WaiterConfig=FAST_WAITER)
    assert aws.ecs.describe_tasks(cluster="c1", tasks=[arn])["tasks"][0]["containers"][0]["exitCode"] == 0


def test_run_task_with_crash_marker_stops_without_running(aws: Aws) -> None:
    """ECS: a one-off task whose container cannot start stops without ever running (exitCode 1)."""
    overrides = {"containerOverrides": [{"name": "app", "environment": [{"name": "SANDBOX_CRASH", "value": "true"}]}]}
    arn = aws.ecs.run_task(cluster="c1", taskDefinition=aws.register(), launchType="FARGATE",
                           networkConfiguration=aws.network, overrides=overrides)["tasks"][0]["taskArn"]
    aws.ecs.get_waiter("tasks_stopped").wait(cluster="c1", tasks=[arn], WaiterConfig=FAST_WAITER)
    task = aws.ecs.describe_tasks(cluster="c1", tasks=[arn])["tasks"][0]
    assert "startedAt" not in task
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 1
    assert "CannotStartContainerError" in task["containers"][0]["reason"]


def test_run_task_client_token_is_idempotent(aws: Aws) -> None:
    """ECS RunTask: a retry with the same clientToken returns the same tasks instead of starting new ones."""
    td = aws.register()
    kwargs: dict[str, Any] = {"cluster": "c1", "taskDefinition": td, "launchType": "FARGATE",
                              "networkConfiguration": aws.network, "count": 2}
    first = aws.ecs.run_task(clientToken="token-1", **kwargs)["tasks"]
    again = aws.ecs.run_task(clientToken="token-1", **kwargs)["tasks"]
    other = aws.ecs.run_task(clientToken="token-2", **kwargs)["tasks"]
    assert [t["taskArn"] for t in again] == [t["taskArn"] for t in first]
    assert not {t["taskArn"] for t in other} & {t["taskArn"] for t in first}
    assert len(aws.tasks()) == 4


def test_run_task_with_task_level_memory_only_on_ec2(aws: Aws) -> None:
    """ECS: a task definition with memory only at task level runs on EC2 (stock moto crashes, moto-notes 1.8b)."""
    aws.instance()
    td = aws.ecs.register_task_definition(family="job", memory="256", cpu="128",
                                          containerDefinitions=[{"name": "app", "image": "busybox"}])
    arn = td["taskDefinition"]["taskDefinitionArn"]
    task = aws.ecs.run_task(cluster="c1", taskDefinition=arn, launchType="EC2")["tasks"][0]
    assert task["lastStatus"] == "PROVISIONING"


def test_run_task_on_ec2_without_instances_is_rejected(aws: Aws) -> None:
    """ECS RunTask (EC2) in a cluster without container instances: InvalidParameterException, not a crash."""
    with pytest.raises(aws.ecs.exceptions.InvalidParameterException, match="No Container Instances"):
        aws.ecs.run_task(cluster="c1", taskDefinition=aws.register(fargate=False), launchType="EC2")


# ------------------------------------------------------------------------------------------------- 7: EC2


def test_ec2_service_without_instances_cannot_place_tasks(aws: Aws) -> None:
    """ECS: an EC2 service with no ACTIVE container instance reports it cannot place tasks; rollout waits."""
    aws.create("web", aws.register(fargate=False), 2, launchType="EC2")
    expected = ("(service web) was unable to place a task because no container instance met all of its "
                "requirements.")
    def placement_failed() -> dict[str, Any] | None:
        service = aws.service("web")
        return service if any(m.startswith(expected) for m in messages(service)) else None

    service = wait_until(placement_failed, "placement event")
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS" and service["runningCount"] == 0
    first, second = aws.instance(), aws.instance()
    aws.stable("web")
    assert {t["containerInstanceArn"] for t in aws.tasks(serviceName="web")} <= {first, second}
    aws.ecs.update_service(cluster="c1", service="web", desiredCount=6)
    aws.stable("web")
    described = aws.ecs.describe_container_instances(cluster="c1", containerInstances=[first, second])
    assert sum(i["runningTasksCount"] for i in described["containerInstances"]) == 6
    assert all(i["runningTasksCount"] >= 2 for i in described["containerInstances"])  # spread


def test_draining_container_instance_moves_service_tasks(aws: Aws) -> None:
    """ECS: tasks on a DRAINING container instance are replaced on ACTIVE instances, then stopped."""
    first = aws.instance()
    aws.create("web", aws.register(fargate=False), 2, launchType="EC2")
    aws.stable("web")
    second = aws.instance()
    aws.ecs.update_container_instances_state(cluster="c1", containerInstances=[first], status="DRAINING")

    def drained() -> bool:
        described = aws.ecs.describe_container_instances(cluster="c1", containerInstances=[first])
        return bool(described["containerInstances"][0]["runningTasksCount"] == 0 and aws._stable("web"))

    wait_until(drained, "drain")
    assert {t["containerInstanceArn"] for t in aws.tasks(serviceName="web")} == {second}
    moved = aws.tasks(serviceName="web", desiredStatus="STOPPED")
    assert len(moved) == 2
    assert all(t["stopCode"] == "ServiceSchedulerInitiated" and t["containerInstanceArn"] == first for t in moved)
    assert all("DRAINING" in t["stoppedReason"] for t in moved)


def test_fargate_capacity_provider_needs_no_instances(aws: Aws) -> None:
    """ECS: a service on the FARGATE capacity provider runs without container instances."""
    strategy = [{"capacityProvider": "FARGATE", "weight": 1}]
    aws.create("web", aws.register(), 1, capacityProviderStrategy=strategy)
    done = aws.stable("web")
    assert done["deployments"][0]["capacityProviderStrategy"] == strategy


# ------------------------------------------------------------------------------------------------ the pace


def test_pace_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandbox contract: RECONCILER_SANDBOX_STEP_SECONDS sets the default pace; otherwise one second."""
    monkeypatch.setenv(clock.PACE_ENV, "0.25")
    assert clock.pace_from_env() == 0.25
    monkeypatch.setenv(clock.PACE_ENV, "nonsense")
    assert clock.pace_from_env() == 1.0
    monkeypatch.delenv(clock.PACE_ENV)
    assert clock.pace_from_env() == 1.0
    with pytest.raises(ValueError):
        set_pace(0)


def test_progress_is_by_time_not_by_calls(aws: Aws, pace: Callable[[float], None]) -> None:
    """Sandbox contract: polling faster does not make a rollout faster; elapsed time does."""
    pace(0.5)
    aws.create("web", aws.register(), 1)
    for _ in range(20):
        assert aws.service("web")["runningCount"] == 0
    pace(PACE)
    aws.stable("web")
