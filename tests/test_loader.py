"""Loading manifests: every bad input is reported with its place, all at once, and nothing else runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler import loader
from reconciler.errors import ManifestError
from reconciler.model.keys import Kind

from .conftest import EC2_CLUSTER, FIXTURES, MANIFESTS

TD_HEAD = "apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n  name: app\nspec:\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(tmp_path: Path, variables: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)], variables)
    return [p.render() for p in info.value.problems]


def test_examples_load() -> None:
    """The shipped examples (the Fargate demo and the chapter's EC2 cluster) and every task definition fixture are
    valid, and together they use every kind."""
    shipped = loader.load([str(MANIFESTS), str(EC2_CLUSTER)])
    assert {m.kind for m in shipped.manifests} == set(Kind)
    assert not shipped.warnings
    fixtures = loader.load([str(FIXTURES / "taskdefs")])
    assert len(fixtures.manifests) >= 12


def test_malformed_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    """Broken indentation is reported as file:line:col."""
    write(tmp_path, "broken.yaml", TD_HEAD + "  containerDefinitions:\n    - name: web\n     image: nginx\n")
    [message] = problems(tmp_path)
    assert "broken.yaml:8:" in message
    assert "invalid YAML" in message


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    """A string where AWS wants an integer is an error at that value's position."""
    write(tmp_path, "td.yaml", TD_HEAD + "  containerDefinitions:\n    - name: web\n      image: nginx\n"
                                         "      memory: lots\n")
    [message] = problems(tmp_path)
    assert "td.yaml:9:15" in message
    assert "spec.containerDefinitions[0].memory" in message
    assert "integer" in message


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    """A misspelt field is refused with a did-you-mean hint, located at the key."""
    write(tmp_path, "td.yaml", TD_HEAD + "  containerDefinitions:\n    - name: web\n      imagee: nginx\n"
                                         "      memory: 128\n")
    messages = problems(tmp_path)
    assert any("td.yaml:8:7" in m and "unknown field 'imagee'; did you mean 'image'?" in m for m in messages)
    assert any("missing required field 'image'" in m for m in messages)


def test_unknown_kind_suggests_the_right_one(tmp_path: Path) -> None:
    """An unknown kind lists the kinds and suggests the closest."""
    write(tmp_path, "x.yaml", "apiVersion: reconciler/v1\nkind: Servce\nmetadata:\n  name: a\nspec: {}\n")
    [message] = problems(tmp_path)
    assert "x.yaml:2:7" in message
    assert "unknown kind 'Servce'" in message and "did you mean 'Service'" in message


def test_enum_values_are_checked(tmp_path: Path) -> None:
    """Values outside an AWS enum are refused, naming the allowed ones."""
    write(tmp_path, "td.yaml", TD_HEAD + "  networkMode: bridged\n  containerDefinitions:\n"
                                         "    - {name: web, image: nginx, memory: 128}\n")
    [message] = problems(tmp_path)
    assert "spec.networkMode" in message and "'awsvpc'" in message and "'bridged'" in message


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    """Two manifests for one resource: both places are named."""
    doc = TD_HEAD + "  containerDefinitions:\n    - {name: web, image: nginx, memory: 128}\n"
    write(tmp_path, "a.yaml", doc)
    write(tmp_path, "b/b.yaml", doc)
    [message] = problems(tmp_path)
    assert "duplicate TaskDefinition 'app'" in message and "a.yaml:1:1" in message and "b.yaml" in message


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    """A key given twice in one mapping is an error, not a silent override."""
    write(tmp_path, "td.yaml", TD_HEAD + "  cpu: '256'\n  cpu: '512'\n  containerDefinitions: []\n")
    [message] = problems(tmp_path)
    assert "td.yaml:7:" in message and "duplicate" in message


def test_unset_variable_is_an_error_never_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """${VAR} without a value or default is an error at its position."""
    monkeypatch.delenv("IMAGE_TAG", raising=False)
    write(tmp_path, "td.yaml", TD_HEAD + "  containerDefinitions:\n    - name: web\n"
                                         "      image: nginx:${IMAGE_TAG}\n      memory: 128\n")
    [message] = problems(tmp_path)
    assert "td.yaml:8:14" in message and "${IMAGE_TAG} is not set" in message


def test_variables_from_env_var_flag_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--var beats the environment; ${X:-d} falls back to d; $${X} stays literal."""
    monkeypatch.setenv("IMAGE_TAG", "from-env")
    write(tmp_path, "td.yaml", TD_HEAD + "  containerDefinitions:\n    - name: web\n"
                                         "      image: nginx:${IMAGE_TAG}\n      memory: ${MEM:-256}\n"
                                         "      command: [echo, '$${HOME}']\n")
    [m] = loader.load([str(tmp_path)], {"IMAGE_TAG": "1.2.3"}).manifests
    container = m.spec["containerDefinitions"][0]
    assert container["image"] == "nginx:1.2.3"
    assert container["memory"] == 256
    assert container["command"] == ["echo", "${HOME}"]


def test_numbers_where_aws_wants_strings_are_accepted(tmp_path: Path) -> None:
    """cpu: 256 (a number) becomes the string AWS expects."""
    write(tmp_path, "td.yaml", TD_HEAD + "  cpu: 256\n  memory: 512\n  containerDefinitions:\n"
                                         "    - {name: web, image: nginx, memory: 128}\n")
    [m] = loader.load([str(tmp_path)]).manifests
    assert m.spec["cpu"] == "256" and m.spec["memory"] == "512"


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    """No manifests at all is refused rather than read as "delete nothing"."""
    [message] = problems(tmp_path)
    assert "no manifests" in message


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    """A path that does not exist is named."""
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path / "nope")])
    assert "nope" in str(info.value)


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    """Errors in several files are all listed, not only the first."""
    write(tmp_path, "a.yaml", TD_HEAD + "  containerDefinitions: nope\n")
    write(tmp_path, "b.yaml", "apiVersion: reconciler/v1\nkind: Nope\nmetadata: {name: x}\nspec: {}\n")
    messages = problems(tmp_path)
    assert any("a.yaml" in m for m in messages) and any("b.yaml" in m for m in messages)


def test_several_documents_per_file(tmp_path: Path) -> None:
    """`---` separates documents; empty documents are ignored."""
    doc = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: {}\nspec: {{}}\n"
    write(tmp_path, "all.yml", "---\n" + doc.format("a") + "---\n---\n" + doc.format("b"))
    ms = loader.load([str(tmp_path)])
    assert [m.name for m in ms.manifests] == ["a", "b"]
    assert ms.manifests[1].source.line == 9


def test_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    """A list or scalar document is refused with its position."""
    write(tmp_path, "x.yaml", "- just\n- a list\n")
    [message] = problems(tmp_path)
    assert "x.yaml" in message and "not a mapping" in message


def test_invalid_names_are_refused(tmp_path: Path) -> None:
    """Names follow AWS's rules for the kind (ECR: lower case)."""
    write(tmp_path, "r.yaml", "apiVersion: reconciler/v1\nkind: Repository\nmetadata:\n  name: Web_App\nspec: {}\n")
    [message] = problems(tmp_path)
    assert "r.yaml:4:9" in message and "invalid Repository name 'Web_App'" in message


def test_wrong_api_version(tmp_path: Path) -> None:
    """apiVersion must be reconciler/v1."""
    write(tmp_path, "c.yaml", "apiVersion: v1\nkind: Cluster\nmetadata:\n  name: a\nspec: {}\n")
    [message] = problems(tmp_path)
    assert "c.yaml:1:13" in message and "reconciler/v1" in message


def test_alias_bombs_are_refused(tmp_path: Path) -> None:
    """YAML aliases that expand without bound are refused before anything uses them."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefgh"):
        prev = "a" if i == 0 else "bcdefgh"[i - 1]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    [message] = problems(tmp_path)
    assert "bomb.yaml" in message and "more than" in message


def test_service_without_task_definition(tmp_path: Path) -> None:
    """A service must name its task definition (AWS only omits it for external controllers)."""
    write(tmp_path, "s.yaml", "apiVersion: reconciler/v1\nkind: Service\nmetadata:\n  name: web\n"
                              "spec:\n  cluster: demo\n")
    [message] = problems(tmp_path)
    assert "s.yaml:6:3" in message and "missing required field 'taskDefinition'" in message


def test_a_broken_file_does_not_make_its_references_look_dangling(tmp_path: Path) -> None:
    """Only the real error is reported, not a missing-reference error caused by it."""
    shutil.copytree(MANIFESTS, tmp_path / "m")
    path = tmp_path / "m" / "web-service.yaml"
    path.write_text(path.read_text().replace("  desiredCount: 2\n", "  desiredCount: 2\n   bad: indent\n"))
    messages = problems(tmp_path / "m")
    assert len(messages) == 1 and "web-service.yaml:12:7: invalid YAML" in messages[0]


def test_hook_naming_no_service_is_an_error(tmp_path: Path) -> None:
    """runBefore must name a Service manifest."""
    shutil.copytree(MANIFESTS, tmp_path / "m")
    path = tmp_path / "m" / "migrate-task.yaml"
    path.write_text(path.read_text().replace("runBefore: [web]", "runBefore: [wbe]"))
    [message] = problems(tmp_path / "m")
    assert "migrate-task.yaml:12:15" in message and "spec.runBefore[0]" in message
    assert "runBefore names 'wbe'" in message


def test_unknown_annotation_is_a_warning_with_a_hint(tmp_path: Path) -> None:
    """A typo in a reconciler.io/ annotation is reported (did you mean ...), and changes nothing else."""
    write(tmp_path, "c.yaml", "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: demo\n  annotations:\n"
                              "    reconciler.io/adpot: \"true\"\n    reconciler.io/rollback: \"false\"\n"
                              "    example.com/anything: x\nspec: {}\n")
    loaded = loader.load([str(tmp_path)])
    assert len(loaded.manifests) == 1
    messages = [w.render() for w in loaded.warnings]
    assert len(messages) == 2
    assert "c.yaml:6:5: Cluster/demo: metadata.annotations.reconciler.io/adpot: unknown annotation " \
           "'reconciler.io/adpot' is ignored; did you mean 'reconciler.io/adopt'?" in messages[0]
    assert "'reconciler.io/rollback' has no effect on a Cluster (only on: Service)" in messages[1]


def test_every_annotation_the_product_reads_is_known() -> None:
    """Each reconciler.io/ name in the code is in KNOWN_ANNOTATIONS (so it is never warned about)."""
    import re

    from reconciler.model.manifest import KNOWN_ANNOTATIONS

    root = Path(loader.__file__).parent
    used = {name for path in root.rglob("*.py") for name in re.findall(r"reconciler\.io/[a-z-]+", path.read_text())}
    assert used == set(KNOWN_ANNOTATIONS)


def test_warnings_travel_with_errors(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: demo\n  annotations:\n"
                              "    reconciler.io/suspnd: \"true\"\nspec: {nope: 1}\n")
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)])
    assert any("did you mean 'reconciler.io/suspend'" in w.render() for w in info.value.warnings)


def test_a_bad_suspend_value_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "c.yaml", "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: demo\n  annotations:\n"
                              "    reconciler.io/suspend: \"please\"\nspec: {}\n")
    [message] = problems(tmp_path)
    assert "c.yaml:6:28" in message and 'expected "true" or "false"' in message


def test_references_that_resolve_are_accepted(tmp_path: Path) -> None:
    """The cross-manifest rules accept what is right: a load balancer on a real container port, overrides of
    real containers, a task that runs after one service and before another."""
    shutil.copytree(MANIFESTS, tmp_path / "m")
    path = tmp_path / "m" / "web-service.yaml"
    path.write_text(path.read_text().replace("  desiredCount: 2\n", "  desiredCount: 2\n  loadBalancers:\n"
                                             "    - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:"
                                             "123456789012:targetgroup/web/0123456789abcdef\n"
                                             "      containerName: web\n      containerPort: 80\n"))
    loaded = loader.load([str(tmp_path / "m")])
    assert len(loaded.manifests) == 5 and loaded.warnings == ()
