"""Secrets masked everywhere output goes: the rule (which values are secret), field changes, the three plan
formats, free-text redaction, the warning, configurable patterns, logs at every level, status, saved plans
and the controller's /status. The end-to-end canary through the real CLI is in test_secret_canary.py."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from botocore.model import ListShape, MapShape, Shape, StructureShape

from reconciler import loader, log, pipeline, savedplan
from reconciler.controller.http import serve
from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.metrics import Metrics
from reconciler.controller.sources import DirectorySource
from reconciler.model import shapes
from reconciler.model.plan import FieldChange, KnownAfterApply, Plan
from reconciler.model.sensitive import configured_patterns, user_named_fields
from reconciler.model.specs import KIND_SPECS
from reconciler.planning import render
from reconciler.planning.mask import CHANGED, MIN_REDACT_LENGTH, SENSITIVE, Masker, plain_secret_warnings
from reconciler.status import statuses

SECRET = "s3cr3t-Passw0rd-one"
NEW_SECRET = "s3cr3t-Passw0rd-two"
TASK_TOKEN = "task-token-value-0001"


def digests(value: str) -> list[str]:
    """Plain hashes of a value a dictionary would reverse: none may appear in any output."""
    out = []
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        hexdigest = hashlib.new(algorithm, value.encode()).hexdigest()
        out += [hexdigest, hexdigest[:16], hexdigest[:12]]
    return out


def plain(markup: str) -> str:
    """What `plan` prints: rich markup rendered without colours."""
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=400, no_color=True, highlight=False, soft_wrap=True).print(markup)
    return out.getvalue()


def assert_clean(text: str, *values: str) -> None:
    for value in values:
        assert value not in text
        for digest in digests(value):
            assert digest not in text, f"a hash of {value!r} is in the output"


# --- the rule ---------------------------------------------------------------------------------------

def test_user_named_fields_come_from_the_api_model_and_are_unambiguous() -> None:
    """The fields whose entries users name: string maps and name/value lists of the API inputs. No member of
    the same name is anything else anywhere in those inputs (else an API field would be masked by name)."""
    assert user_named_fields() == {"environment", "options", "dockerLabels", "driverOpts", "labels",
                                   "properties", "tags", "Tags"}  # (Tags: IAM, EC2 and Auto Scaling tags)
    kinds: dict[str, set[str]] = {}

    def walk(shape: Shape, seen: frozenset[str]) -> None:
        if isinstance(shape, StructureShape) and shape.name not in seen:
            for member, sub in shape.members.items():
                kinds.setdefault(member, set()).add(type(sub).__name__ if not isinstance(sub, ListShape)
                                                    else f"list of {sub.member.name}")
                walk(sub, seen | {shape.name})
        elif isinstance(shape, ListShape):
            walk(shape.member, seen)
        elif isinstance(shape, MapShape):
            walk(shape.value, seen)

    for ks in KIND_SPECS.values():
        walk(shapes.input_shape(ks.service, ks.create_operation), frozenset())
    for name in user_named_fields():
        assert kinds[name] <= {"MapShape", "list of KeyValuePair", "list of Tag"}, (name, kinds[name])


RULE = [
    # (what, value, masked)
    ("container environment, canonical map",
     {"environment": {"DB_PASSWORD": "x", "LOG_LEVEL": "info"}},
     {"environment": {"DB_PASSWORD": SENSITIVE, "LOG_LEVEL": "info"}}),
    ("container environment, API list",
     {"environment": [{"name": "apiKey", "value": "x"}, {"name": "PORT", "value": "80"}]},
     {"environment": [{"name": "apiKey", "value": SENSITIVE}, {"name": "PORT", "value": "80"}]}),
    ("RunTask container override environment",
     {"overrides": {"containerOverrides": [{"name": "app", "environment": [{"name": "GITHUB_TOKEN", "value": "x"}]}]}},
     {"overrides": {"containerOverrides": [{"name": "app",
                                            "environment": [{"name": "GITHUB_TOKEN", "value": SENSITIVE}]}]}}),
    ("log driver options: splunk-token",
     {"logConfiguration": {"logDriver": "splunk", "options": {"splunk-token": "x", "splunk-url": "https://s"}}},
     {"logConfiguration": {"logDriver": "splunk", "options": {"splunk-token": SENSITIVE, "splunk-url": "https://s"}}}),
    ("firelens options", {"firelensConfiguration": {"options": {"Auth-Header": "x"}}},
     {"firelensConfiguration": {"options": {"Auth-Header": SENSITIVE}}}),
    ("docker labels with dotted keys", {"dockerLabels": {"com.example.api-key": "x", "team": "a"}},
     {"dockerLabels": {"com.example.api-key": SENSITIVE, "team": "a"}}),
    ("docker volume driverOpts and labels",
     {"dockerVolumeConfiguration": {"driverOpts": {"password": "x"}, "labels": {"secret": "y", "tier": "z"}}},
     {"dockerVolumeConfiguration": {"driverOpts": {"password": SENSITIVE},
                                    "labels": {"secret": SENSITIVE, "tier": "z"}}}),
    ("proxy properties", {"proxyConfiguration": {"properties": [{"name": "AuthToken", "value": "x"}]}},
     {"proxyConfiguration": {"properties": [{"name": "AuthToken", "value": SENSITIVE}]}}),
    ("ECS tags, ECR tags and canonical tags",
     {"tags": [{"key": "api-token", "value": "x"}], "r": {"tags": [{"Key": "Secret", "Value": "y"}]},
      "c": {"tags": {"session-cookie": "z", "team": "t"}}},
     {"tags": [{"key": "api-token", "value": SENSITIVE}], "r": {"tags": [{"Key": "Secret", "Value": SENSITIVE}]},
      "c": {"tags": {"session-cookie": SENSITIVE, "team": "t"}}}),
    ("our own tags are never secret (reconciler:tag-keys has KEYS in it)",
     {"tags": {"reconciler:tag-keys": "api-token team", "reconciler:managed-by": "reconciler"}},
     {"tags": {"reconciler:tag-keys": "api-token team", "reconciler:managed-by": "reconciler"}}),
    ("references are shown as they are: secrets, secretOptions, credentials parameter, roles, KMS keys",
     {"secrets": {"DB_PASSWORD": {"valueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}},
      "logConfiguration": {"secretOptions": [{"name": "splunk-token", "valueFrom": "arn:aws:secretsmanager:x"}]},
      "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:y"},
      "executionRoleArn": "arn:aws:iam::1:role/r", "encryptionConfiguration": {"kmsKey": "arn:aws:kms:k"},
      "ephemeralStorage": {"kmsKeyId": "k"}},
     {"secrets": {"DB_PASSWORD": {"valueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}},
      "logConfiguration": {"secretOptions": [{"name": "splunk-token", "valueFrom": "arn:aws:secretsmanager:x"}]},
      "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:y"},
      "executionRoleArn": "arn:aws:iam::1:role/r", "encryptionConfiguration": {"kmsKey": "arn:aws:kms:k"},
      "ephemeralStorage": {"kmsKeyId": "k"}}),
    ("ordinary names stay in clear (MONKEY, KEYCLOAK_URL, PASSENGER_COUNT)",
     {"environment": {"MONKEY": "1", "KEYCLOAK_URL": "u", "PASSENGER_COUNT": "3"}},
     {"environment": {"MONKEY": "1", "KEYCLOAK_URL": "u", "PASSENGER_COUNT": "3"}}),
]


@pytest.mark.parametrize(("what", "value", "masked"), RULE, ids=[r[0] for r in RULE])
def test_the_masking_rule(what: str, value: Any, masked: Any) -> None:
    assert Masker().value(value) == masked


FIELDS = [
    # (path, before, after, masked before, masked after)
    ("containerDefinitions[web].environment[DB_PASSWORD]", "a", "b", SENSITIVE, CHANGED),
    ("containerDefinitions[web].environment[DB_PASSWORD]", None, "b", None, SENSITIVE),
    ("containerDefinitions[web].environment[DB_PASSWORD]", "a", None, SENSITIVE, None),
    ("containerDefinitions[web].environment[LOG_LEVEL]", "info", "debug", "info", "debug"),
    ("containerDefinitions[web].environment", None, {"DB_PASSWORD": "b", "X": "1"},
     None, {"DB_PASSWORD": SENSITIVE, "X": "1"}),
    ("containerDefinitions[web].environment", {"DB_PASSWORD": "a", "T_TOKEN": "t"},
     {"DB_PASSWORD": "b", "T_TOKEN": "t", "X": "1"},
     {"DB_PASSWORD": SENSITIVE, "T_TOKEN": SENSITIVE}, {"DB_PASSWORD": CHANGED, "T_TOKEN": SENSITIVE, "X": "1"}),
    ("containerDefinitions[web]", {"image": "a", "environment": {"API_KEY": "k1"}},
     {"image": "b", "environment": {"API_KEY": "k2"}},
     {"image": "a", "environment": {"API_KEY": SENSITIVE}}, {"image": "b", "environment": {"API_KEY": CHANGED}}),
    ("overrides.containerOverrides", [{"name": "app", "environment": {"API_TOKEN": "a"}}],
     [{"name": "app", "environment": {"API_TOKEN": "b"}}],
     [{"name": "app", "environment": {"API_TOKEN": SENSITIVE}}],
     [{"name": "app", "environment": {"API_TOKEN": CHANGED}}]),
    ("containerDefinitions[web].dockerLabels.com.example.auth-token", "a", "b", SENSITIVE, CHANGED),
    ("containerDefinitions[web].dockerLabels.com.example.team", "a", "b", "a", "b"),
    ("containerDefinitions[web].logConfiguration.options.splunk-token", "a", "b", SENSITIVE, CHANGED),
    ("tags[api-token]", "a", None, SENSITIVE, None),
    ("tags[reconciler:tag-keys]", "a", "a b", "a", "a b"),
    ("containerDefinitions[web].secrets[DB_PASSWORD].valueFrom", "arn:1", "arn:2", "arn:1", "arn:2"),
    # Entries kept as a list (duplicate names): the name is not in the path, so the value is masked.
    ("containerDefinitions[web].environment[0].value", "a", "b", SENSITIVE, CHANGED),
]


@pytest.mark.parametrize(("path", "before", "after", "masked_before", "masked_after"), FIELDS)
def test_field_changes(path: str, before: Any, after: Any, masked_before: Any, masked_after: Any) -> None:
    """A changed secret: (sensitive) → (sensitive, changed); added: (sensitive); removed: shown removed."""
    masked = Masker().field(FieldChange(path, before, after))
    assert (masked.path, masked.before, masked.after) == (path, masked_before, masked_after)


def test_masking_twice_keeps_the_change() -> None:
    """/status masks what the loop already masked: (sensitive, changed) must survive."""
    once = Masker().field(FieldChange("c[web].environment", {"A_TOKEN": "1"}, {"A_TOKEN": "2"}))
    assert Masker().value({"after": once.after}) == {"after": {"A_TOKEN": CHANGED}}


# --- free text ----------------------------------------------------------------------------------------

def test_known_values_are_redacted_from_text_above_a_threshold() -> None:
    """Values of MIN_REDACT_LENGTH characters or more are redacted from free text, also as JSON and repr()
    escape them; shorter ones (a 2-character "password") would blank out ordinary words: only structural
    masking applies to them."""
    quoted = 'pa"ss\\word-99'
    masker = Masker().remember([SECRET, "ab", "x" * (MIN_REDACT_LENGTH - 1), quoted, None, 42])
    assert masker.text(f"ClientException: invalid value {SECRET} for environment") == \
        f"ClientException: invalid value {SENSITIVE} for environment"
    assert masker.text("about abxxxxxxx") == "about abxxxxxxx"
    assert masker.text(json.dumps({"v": quoted})) == json.dumps({"v": SENSITIVE})
    assert masker.text(repr(ValueError(quoted))) == f"ValueError('{SENSITIVE}')"
    assert masker.value({"event": "x", "detail": [f"at {SECRET}"], "n": 3}) == \
        {"event": "x", "detail": [f"at {SENSITIVE}"], "n": 3}
    later = KnownAfterApply("web:<next revision>")
    assert masker.text(later) is later  # untouched strings stay the very objects (and types) they were


def test_credentials_in_urls_are_redacted() -> None:
    """A --git URL with a token in it shows in logs, git's errors and /status (the source): not its userinfo."""
    masker = Masker()
    assert masker.text("fatal: unable to access 'https://x-access-token:ghp_abc123@github.com/o/r.git/'") == \
        "fatal: unable to access 'https://(sensitive)@github.com/o/r.git/'"
    assert masker.value({"source": "https://TOKEN@git.example/ops.git#main"}) == \
        {"source": "https://(sensitive)@git.example/ops.git#main"}
    plain_text = "see https://git.example/ops.git and a@b.example"
    assert masker.text(plain_text) == plain_text


def test_longer_values_are_redacted_first() -> None:
    masker = Masker().remember(["token-abcdefgh", "token-abcdefgh-and-more"])
    assert masker.text("x token-abcdefgh-and-more y") == f"x {SENSITIVE} y"


# --- patterns ----------------------------------------------------------------------------------------

def test_configured_patterns_add_to_the_defaults() -> None:
    patterns = configured_patterns(["pin", "signing-material"], "OTP, ssn  ")
    assert patterns[-4:] == ("PIN", "SIGNING_MATERIAL", "OTP", "SSN") and "PASSWORD" in patterns
    masker = Masker(patterns)
    assert masker.value({"environment": {"DOOR_PIN": "1234", "PINNED": "yes", "MY_SIGNING_MATERIAL": "m"}}) == \
        {"environment": {"DOOR_PIN": SENSITIVE, "PINNED": "yes", "MY_SIGNING_MATERIAL": SENSITIVE}}
    for bad in ("", "a.b", "x*", "--"):
        with pytest.raises(ValueError, match="sensitive pattern"):
            configured_patterns([bad])


# --- manifests, plans and the three formats ---------------------------------------------------------

def secret_manifests(root: Path, secret: str = SECRET, token: str = TASK_TOKEN) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cluster.yaml").write_text("apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: masked\n"
                                       f"spec:\n  tags:\n    - key: deploy-token\n      value: \"{secret}\"\n")
    (root / "td.yaml").write_text(f"""\
apiVersion: reconciler/v1
kind: TaskDefinition
metadata:
  name: masked-app
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: app
      image: nginx:1.27
      environment:
        - name: DB_PASSWORD
          value: "{secret}"
        - name: LOG_LEVEL
          value: info
      secrets:
        - name: API_KEY
          valueFrom: arn:aws:ssm:us-east-1:123456789012:parameter/masked/api-key
      dockerLabels:
        com.example.auth-token: "{secret}"
      logConfiguration:
        logDriver: splunk
        options:
          splunk-url: https://splunk.example.com
          splunk-token: "{secret}"
""")
    (root / "task.yaml").write_text(f"""\
apiVersion: reconciler/v1
kind: Task
metadata:
  name: masked-job
spec:
  cluster: masked
  taskDefinition: masked-app
  launchType: FARGATE
  overrides:
    containerOverrides:
      - name: app
        environment:
          - name: JOB_TOKEN
            value: "{token}"
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [subnet-0a0a0a0a0a0a0a0a1]
""")
    return root


def plan_for(conn: Any, root: Path) -> tuple[Plan, Any, loader.ManifestSet]:
    manifests = loader.load([str(root)])
    plan, live = pipeline.plan(manifests, conn, pipeline.PlanOptions())
    return plan, live, manifests


def apply_all(conn: Any, root: Path) -> None:
    plan, live, manifests = plan_for(conn, root)
    result = pipeline.apply(plan, live, manifests, conn, "reconciler", poll_seconds=0.05).result
    assert result.ok, result.outcomes


def test_a_changed_secret_shows_as_a_change_in_every_format(aws: Any, tmp_path: Path) -> None:
    """Created: (sensitive). Changed: (sensitive) → (sensitive, changed) in text, JSON and markdown, with no
    clear value and no hash of it; the reference in secrets[].valueFrom is shown as it is."""
    root = secret_manifests(tmp_path / "m")
    created, _, _ = plan_for(aws, root)
    outputs = [plain(render.to_text(created)), render.to_json(created), render.to_markdown(created)]
    for out in outputs:
        assert_clean(out, SECRET, TASK_TOKEN)
    assert "environment[DB_PASSWORD]: (sensitive)" in outputs[0]
    assert "arn:aws:ssm:us-east-1:123456789012:parameter/masked/api-key" in outputs[0]
    doc = json.loads(outputs[1])
    [td] = [c for c in doc["changes"] if c["kind"] == "TaskDefinition"]
    assert td["after"]["containerDefinitions"]["app"]["environment"] == {"DB_PASSWORD": SENSITIVE, "LOG_LEVEL": "info"}
    apply_all(aws, root)
    secret_manifests(root, NEW_SECRET)
    changed, _, _ = plan_for(aws, root)
    text, data, markdown = (plain(render.to_text(changed)), render.to_json(changed), render.to_markdown(changed))
    for out in (text, data, markdown):
        assert_clean(out, SECRET, NEW_SECRET, TASK_TOKEN)
    assert "~ containerDefinitions[app].environment[DB_PASSWORD]: (sensitive) → (sensitive, changed)" in text
    assert "dockerLabels.com.example.auth-token: (sensitive) → (sensitive, changed)" in text
    assert "logConfiguration.options.splunk-token: (sensitive) → (sensitive, changed)" in text
    [td] = [c for c in json.loads(data)["changes"] if c["kind"] == "TaskDefinition"]
    assert {"path": "containerDefinitions[app].environment[DB_PASSWORD]", "before": SENSITIVE,
            "after": CHANGED} in td["fields"]
    assert "!     containerDefinitions[app].environment[DB_PASSWORD]: (sensitive) → (sensitive, changed)" in markdown
    unchanged = [f for f in td["fields"] if "LOG_LEVEL" in f["path"]]
    assert unchanged == []  # unchanged entries never appear


def test_plain_secrets_are_warned_about_in_the_plan(aws: Any, tmp_path: Path) -> None:
    """One warning per secret-looking entry in clear, naming the manifest (file:line:col), container and
    variable, suggesting the reference field; in all three formats."""
    root = secret_manifests(tmp_path / "m")
    plan, _, manifests = plan_for(aws, root)
    warnings = [w for w in plan.warnings if "looks secret" in w]
    assert warnings == plain_secret_warnings(manifests.manifests)
    assert len(warnings) == 3
    [td] = [w for w in warnings if "environment variable DB_PASSWORD" in w]
    [option] = [w for w in warnings if "log option" in w]
    [task] = [w for w in warnings if "Task/masked-job" in w]
    assert td.startswith(f"{root}/td.yaml:1:1: TaskDefinition/masked-app: container app: environment variable "
                         "DB_PASSWORD looks secret")
    assert "use secrets: [{name: DB_PASSWORD, valueFrom: <Secrets Manager or SSM parameter ARN>}]" in td
    assert "log option splunk-token" in option and "logConfiguration.secretOptions: [{name: splunk-token" in option
    assert task.startswith(f"{root}/task.yaml:1:1: Task/masked-job: container override app: environment variable "
                           "JOB_TOKEN looks secret")
    assert not any("API_KEY" in w or "LOG_LEVEL" in w or "auth-token" in w for w in warnings)
    assert f"warning: {td}" in plain(render.to_text(plan))
    assert json.loads(render.to_json(plan))["warnings"][: len(plan.warnings)] == list(plan.warnings)
    assert f"- :warning: `{td}`" in render.to_markdown(plan)


def test_status_rows_name_fields_never_values(aws: Any, tmp_path: Path) -> None:
    root = secret_manifests(tmp_path / "m")
    apply_all(aws, root)
    secret_manifests(root, NEW_SECRET)
    plan, live, manifests = plan_for(aws, root)
    masker = Masker().remember([SECRET, NEW_SECRET])
    rows = [r.as_dict() for r in statuses(manifests, plan, live, masker)]
    [td] = [r for r in rows if r["kind"] == "TaskDefinition"]
    assert td["sync"] == "out-of-sync"
    assert_clean(json.dumps(rows), SECRET, NEW_SECRET, TASK_TOKEN)


# --- saved plans ---------------------------------------------------------------------------------

def test_saved_plan_holds_no_secret_and_still_notices_a_changed_one(aws: Any, tmp_path: Path) -> None:
    """The file holds the masked plan, digests over masked data, and a salted scrypt digest of the clear
    secret values: a secret changed in the manifests, or live, since the plan makes it stale."""
    root = secret_manifests(tmp_path / "m")
    apply_all(aws, root)
    secret_manifests(root, NEW_SECRET)
    plan, _, manifests = plan_for(aws, root)
    masker = Masker().remember([SECRET, NEW_SECRET, TASK_TOKEN])
    first, second = tmp_path / "p1.json", tmp_path / "p2.json"
    for path in (first, second):
        savedplan.write(str(path), plan, manifests, [str(root)], {}, {}, masker)
        assert_clean(path.read_text(), SECRET, NEW_SECRET, TASK_TOKEN)
    doc = json.loads(first.read_text())
    assert doc["secretsDigest"]["name"] == "scrypt" and doc["secretsDigest"]["n"] >= 2**17
    assert doc["secretsDigest"]["salt"] != json.loads(second.read_text())["secretsDigest"]["salt"]
    assert doc["secretsDigest"]["digest"] != json.loads(second.read_text())["secretsDigest"]["digest"]
    saved = savedplan.read(str(first))
    savedplan.check(saved, manifests, plan, str(first), masker)  # still the plan

    secret_manifests(root, "yet-another-secret")  # only the secret changed: masked data is the same
    plan2, _, manifests2 = plan_for(aws, root)
    assert savedplan.manifests_digest(manifests2, masker) == saved.manifests_digest
    assert savedplan.plan_digest(plan2, masker) == saved.plan_digest
    with pytest.raises(savedplan.StalePlanError, match="a secret value changed"):
        savedplan.check(saved, manifests2, plan2, str(first), masker)

    # Back to the plan's manifests; now a secret changes in live AWS, where the masked plan cannot see it
    # (a tag value: the resource and its ARN stay the same).
    secret_manifests(root, NEW_SECRET)
    cluster_arn = aws.clients.ecs.describe_clusters(clusters=["masked"])["clusters"][0]["clusterArn"]
    aws.clients.ecs.tag_resource(resourceArn=cluster_arn, tags=[{"key": "deploy-token", "value": "out-of-band-1"}])
    plan3, _, manifests3 = plan_for(aws, root)
    savedplan.write(str(first), plan3, manifests3, [str(root)], {}, {}, masker)
    saved = savedplan.read(str(first))
    aws.clients.ecs.tag_resource(resourceArn=cluster_arn, tags=[{"key": "deploy-token", "value": "out-of-band-2"}])
    plan4, _, manifests4 = plan_for(aws, root)
    assert savedplan.plan_digest(plan4, masker) == saved.plan_digest
    with pytest.raises(savedplan.StalePlanError, match="a secret value changed"):
        savedplan.check(saved, manifests4, plan4, str(first), masker)


# --- logs -------------------------------------------------------------------------------------------

@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Tests below configure structlog as the CLI does (on the captured stderr); undo it afterwards."""
    before = log.masker()
    yield
    structlog.reset_defaults()
    log.use(before)


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_logs_are_masked_at_every_level(restore_logging: None, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """Structured values, free text and tracebacks: masked and redacted at DEBUG as at ERROR."""
    log.configure(fmt, "debug", Masker())
    log.remember([SECRET])
    logger = log.get()
    logger.debug("Request", params={"containerDefinitions": [{"environment": [
        {"name": "SHORT_PASSWORD", "value": "ab"}, {"name": "REGION", "value": "eu-west-1"}]}]})
    logger.info("Applied", detail=f"registered with {SECRET}")
    logger.warning("Plan warning", warning=f"x {SECRET!r}")
    try:
        raise RuntimeError(f"boom {SECRET}")
    except RuntimeError:
        logger.exception("Pass crashed")
    logger.error("Apply failed", error=f"ClientException: bad value '{SECRET}'")
    out = capsys.readouterr().err
    assert_clean(out, SECRET, '"ab"', "'ab'")
    assert "eu-west-1" in out and out.count(SENSITIVE) >= 5
    assert "Traceback" in out and "boom (sensitive)" in out


def test_debug_logging_cannot_turn_on_the_sdk_request_logs(restore_logging: None, capsys: pytest.CaptureFixture[str],
                                                           aws: Any) -> None:
    """botocore logs request bodies at DEBUG: --log-level debug leaves it (and urllib3) at WARNING, even
    when something set one of their loggers lower before."""
    logging.getLogger("botocore").setLevel(logging.DEBUG)
    logging.getLogger("botocore.endpoint").setLevel(logging.DEBUG)
    root = logging.getLogger()
    handler = logging.StreamHandler()  # stderr: a handler that would print whatever botocore logged
    root.addHandler(handler)
    try:
        log.configure("json", "debug", Masker())
        for name in ("botocore", "botocore.endpoint", "botocore.parsers", "boto3", "urllib3"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        aws.clients.ecs.register_task_definition(family="logged", containerDefinitions=[
            {"name": "a", "image": "nginx", "memory": 64, "environment": [{"name": "X_PASSWORD", "value": SECRET}]}])
    finally:
        root.removeHandler(handler)
    assert SECRET not in capsys.readouterr().err


# --- the controller ------------------------------------------------------------------------------

def test_controller_status_and_last_pass_diffs_are_masked(aws: Any, tmp_path: Path) -> None:
    """/status and what the loop keeps of the last pass (its field changes, for a web page): masked, with a
    changed secret still marked as changed; the warning is logged once, not on every pass."""
    root = secret_manifests(tmp_path / "m")
    before = log.masker()
    controller = Controller(DirectorySource([str(root)]), aws, WatchSettings(
        options=pipeline.PlanOptions(), requeue=0.05, poll_seconds=0.05, rollout_timeout=30))
    server = serve(controller.state, Metrics(), "127.0.0.1", 0)
    try:
        with structlog.testing.capture_logs() as first_logs:
            controller.reconcile_once("start")
        assert sum(e["event"] == "Warning" for e in first_logs) == 3
        secret_manifests(root, NEW_SECRET)
        with structlog.testing.capture_logs() as logs:
            controller.reconcile_once("change")
        assert not any(e["event"] == "Warning" for e in logs)
        changes = controller.state.last_pass["changes"]
        [td] = [c for c in changes if c["kind"] == "TaskDefinition"]
        assert {"path": "containerDefinitions[app].environment[DB_PASSWORD]", "before": SENSITIVE,
                "after": CHANGED} in td["fields"]
        url = f"http://127.0.0.1:{server.server_address[1]}/status"
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        assert json.loads(body)["lastPass"]["changes"] == changes
        assert_clean(body, SECRET, NEW_SECRET, TASK_TOKEN)
        assert_clean(json.dumps(first_logs + logs, default=str), SECRET, NEW_SECRET, TASK_TOKEN)
    finally:
        server.shutdown()
        log.use(before)


def test_validation_errors_do_not_echo_values_of_user_named_entries(tmp_path: Path) -> None:
    """A malformed entry (a list where AWS wants a string) is reported with its place, not its value: the
    name that says whether it is secret may not even be on the path (environment[0].value)."""
    (tmp_path / "bad.yaml").write_text(f"""\
apiVersion: reconciler/v1
kind: TaskDefinition
metadata:
  name: bad
spec:
  containerDefinitions:
    - name: app
      image: nginx
      memory: 128
      environment:
        - name: DB_PASSWORD
          value: ["{SECRET}"]
      logConfiguration:
        logDriver: splunk
        options:
          splunk-token: ["{SECRET}"]
      memoryReservation: "lots"
""")
    with pytest.raises(loader.ManifestError) as info:
        loader.load([str(tmp_path)])
    text = str(info.value)
    assert_clean(text, SECRET)
    assert "bad.yaml:12:18: TaskDefinition/bad: spec.containerDefinitions[0].environment[0].value: Input should be " \
           "a valid string (got (sensitive))" in text
    assert "options.splunk-token: Input should be a valid string (got (sensitive))" in text
    assert "(got 'lots')" in text  # other fields still say what they got
