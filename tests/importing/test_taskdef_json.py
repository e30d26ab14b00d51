"""`reconciler import --task-definition FILE.json`: describe-task-definition output and RegisterTaskDefinition
documents (the AWS samples, the console's JSON) become manifests that plan no change against their revision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.errors import ManifestError
from reconciler.importing.taskdef_json import import_files
from reconciler.model.keys import Kind
from reconciler.planning.normalize import canonical

from ..conftest import FIXTURES
from .helpers import non_ownership_fields, plan, write

MANIFESTS = sorted((FIXTURES / "taskdefs").glob("*.yaml"))


def test_describe_output_of_every_fixture_plans_no_change_against_its_revision(aws: Any, tmp_path: Path) -> None:
    """Register each real-world task definition, save `describe-task-definition --include TAGS` as JSON,
    import it: plan shows no change (the revision is someone else's: without --adopt it is left as it is)."""
    sources = tmp_path / "json"
    sources.mkdir()
    for manifest in loader.load([str(p) for p in MANIFESTS]).manifests:
        aws.clients.ecs.register_task_definition(family=manifest.name, **manifest.spec)
        described = aws.clients.ecs.describe_task_definition(taskDefinition=manifest.name, include=["TAGS"])
        described.pop("ResponseMetadata")
        (sources / f"{manifest.name}.json").write_text(json.dumps(described, default=str, indent=4))
    result = import_files(sorted(str(p) for p in sources.glob("*.json")))
    assert result.warnings == []
    out = tmp_path / "out"
    variables = write(result, out)
    first = plan(aws, out, variables)
    assert not first.has_changes, [(str(c.key), c.fields) for c in first.changes if c.is_change]
    assert first.summary()["noop"] == len(MANIFESTS)


def test_with_adopt_the_plan_shows_only_the_adoption(aws: Any, tmp_path: Path) -> None:
    [manifest] = loader.load([str(FIXTURES / "taskdefs" / "api-fargate-secrets.yaml")]).manifests
    aws.clients.ecs.register_task_definition(family=manifest.name, **manifest.spec)
    described = aws.clients.ecs.describe_task_definition(taskDefinition=manifest.name, include=["TAGS"])
    path = tmp_path / "td.json"
    path.write_text(json.dumps({k: v for k, v in described.items() if k != "ResponseMetadata"}, default=str))
    out = tmp_path / "out"
    variables = write(import_files([str(path)], adopt=True), out)
    first = plan(aws, out, variables)
    assert first.has_changes and non_ownership_fields(first) == {}


@pytest.mark.parametrize("path", sorted((FIXTURES / "aws" / "taskdefs").glob("*.json")), ids=lambda p: p.stem)
def test_real_describe_output_imports_to_the_hand_written_manifest(path: Path) -> None:
    [doc] = import_files([str(path)]).documents
    [manifest] = loader.load([str(FIXTURES / "taskdefs" / f"{path.stem}.yaml")]).manifests
    assert doc.name == manifest.name and doc.path == f"task-definitions/{manifest.name}"
    assert canonical(Kind.TASK_DEFINITION, doc.spec) == canonical(Kind.TASK_DEFINITION, manifest.spec)


REGISTER_DOCUMENT = """\
{
  "family": "sample-app",
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/sample-app:3",
  "revision": 3,
  "compatibilities": ["EC2", "FARGATE"],
  "requiresCompatibilities": ["FARGATE"],
  "networkMode": "awsvpc",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "httpd:2.4",
      "essential": true,
      "portMapings": [{"containerPort": 80}],
      "entryPoint": ["sh", "-c"],
      "command": ["echo ${GREETING} > /usr/local/apache2/htdocs/index.html && httpd-foreground"]
    }
  ],
  "tags": [{"key": "team", "value": "web"}]
}
"""


def test_a_register_document_drops_what_aws_owns_and_warns_about_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_text(REGISTER_DOCUMENT)
    result = import_files([str(path)])
    [doc] = result.documents
    assert doc.spec == {"networkMode": "awsvpc",
                        "containerDefinitions": [{"name": "app", "image": "httpd:2.4", "entryPoint": ["sh", "-c"],
                                                  "command": ["echo ${GREETING} > /usr/local/apache2/htdocs/index.html"
                                                              " && httpd-foreground"]}],
                        "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                        "tags": [{"key": "team", "value": "web"}]}
    rendered = [w.render() for w in result.warnings]
    assert rendered == [
        f"{path}:15:7: 'portMapings' is not a field of ContainerDefinition: dropped",
        f"{path}: TaskDefinition/sample-app: ${{GREETING}} is kept as literal text ($${{GREETING}}): if it is meant "
        "as a variable, write it as ${GREETING} in the manifest"]
    out = tmp_path / "out"
    write(result, out)
    [manifest] = loader.load([str(out)]).manifests  # the literal reads back as a literal
    assert manifest.spec["containerDefinitions"][0]["command"][0].startswith("echo ${GREETING} >")


def test_a_file_without_a_family_or_not_an_object_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"containerDefinitions": []}')
    with pytest.raises(ManifestError, match=r"a.json:1:1: no \"family\""):
        import_files([str(path)])
    path.write_text("[1, 2]")
    with pytest.raises(ManifestError, match="expected a JSON object"):
        import_files([str(path)])
    path.write_text('{"family": "x"}')
    with pytest.raises(ManifestError, match=r"a.json: TaskDefinition/x: spec.containerDefinitions: Field required"):
        import_files([str(path)])
    path.write_text('{"family": "x"')
    with pytest.raises(ManifestError, match=r"a.json:1:\d+: cannot parse"):
        import_files([str(path)])
