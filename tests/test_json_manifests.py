"""Manifests may be JSON files (`*.json`): the same documents, one object or an array of them per file, read as
the YAML 1.2 they are, with the same checks and file:line:col errors. A JSON file that holds no manifest at all
(a saved plan, a JSON Schema, another tool's file) is skipped, with a warning unless it is ours."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.errors import ManifestError

TASK_DEFINITION = {"apiVersion": "reconciler/v1", "kind": "TaskDefinition", "metadata": {"name": "web"},
                   "spec": {"containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 256}]}}


def document(name: str, **spec: Any) -> dict[str, Any]:
    out = copy.deepcopy(TASK_DEFINITION)
    out["metadata"]["name"] = name
    out["spec"].update(spec)
    return out


def test_a_json_manifest_loads_like_its_yaml(tmp_path: Path) -> None:
    (tmp_path / "web.json").write_text(json.dumps(TASK_DEFINITION, indent=2))
    [m] = loader.load([str(tmp_path)]).manifests
    assert (m.kind.value, m.name, m.spec["containerDefinitions"][0]["image"]) == ("TaskDefinition", "web",
                                                                                   "nginx:1.27")


def test_an_array_holds_several_manifests(tmp_path: Path) -> None:
    (tmp_path / "all.json").write_text(json.dumps([document("a"), document("b")]))
    assert [m.name for m in loader.load([str(tmp_path)]).manifests] == ["a", "b"]


def test_errors_name_the_line_and_column_in_the_json_file(tmp_path: Path) -> None:
    bad = document("web")
    bad["spec"]["containerDefinitions"][0]["imagee"] = "x"
    text = json.dumps(bad, indent=2)
    (tmp_path / "web.json").write_text(text)
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)])
    [problem] = info.value.problems
    line = text.splitlines()[(problem.line or 0) - 1]
    assert problem.file and problem.file.endswith("web.json") and line[(problem.column or 0) - 1:].startswith(
        '"imagee"')
    assert "unknown field 'imagee'; did you mean 'image'?" in problem.message


def test_malformed_json_is_an_error_with_its_place(tmp_path: Path) -> None:
    """JSON is judged as JSON: YAML would read `"kind": }` as a kind of null."""
    (tmp_path / "web.json").write_text('{"apiVersion": "reconciler/v1",\n  "kind": }')
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)])
    [problem] = info.value.problems
    assert (problem.line, problem.column, problem.message) == (2, 11, "invalid JSON: Expecting value")


def test_deeply_nested_json_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)])
    assert "nested more than" in info.value.problems[0].message


def test_variables_are_substituted_in_json_too(tmp_path: Path) -> None:
    (tmp_path / "web.json").write_text(json.dumps(document("web", cpu="${CPU:-256}")))
    assert loader.load([str(tmp_path)], {"CPU": "512"}).manifests[0].spec["cpu"] == "512"


def test_json_that_holds_no_manifest_is_skipped(tmp_path: Path) -> None:
    """Another tool's JSON beside the manifests is skipped with a warning; a saved plan and the JSON Schema that
    `reconciler schema` writes for editors are skipped quietly."""
    (tmp_path / "web.json").write_text(json.dumps(TASK_DEFINITION))
    (tmp_path / "package.json").write_text('{"name": "site"}')
    (tmp_path / "plan.json").write_text('{"format": "reconciler-plan/v1", "paths": []}')
    (tmp_path / "reconciler.schema.json").write_text('{"$schema": "x", "apiVersion": "not read"}')
    loaded = loader.load([str(tmp_path)])
    assert [m.name for m in loaded.manifests] == ["web"]
    assert [(Path(w.file or "").name, w.message) for w in loaded.warnings] == [
        ("package.json", "not a manifest (no apiVersion in it): skipped")]


def test_a_json_document_with_an_api_version_is_judged_like_any_manifest(tmp_path: Path) -> None:
    """Once a file says it holds manifests (an apiVersion), nothing in it is skipped: a bad one is an error."""
    (tmp_path / "x.json").write_text(json.dumps([document("a"), {"kind": "TaskDefinition"}]))
    with pytest.raises(ManifestError):
        loader.load([str(tmp_path)])
