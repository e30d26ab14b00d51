"""Where imported manifests go, how they look, and that what is written reads back as imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import loader
from reconciler.errors import ReconcilerError
from reconciler.importing import writer
from reconciler.importing.document import ImportedDocument
from reconciler.model.keys import Kind


def td(name: str, path: str, **spec):
    containers = [{"name": "c", "image": "busybox", "memory": 64}]
    return ImportedDocument(Kind.TASK_DEFINITION, name, {"containerDefinitions": containers, **spec}, path, "test")


@pytest.mark.parametrize(("name", "safe"), [("web", "web"), ("a b/c", "a_b_c"), ("..", "_.."), (".hidden", "_.hidden"),
                                            ("", "_")])
def test_safe_path_components(name, safe):
    assert writer.safe(name) == safe


def test_layout():
    assert writer.cluster_file("prod") == "clusters/prod/cluster"
    assert writer.service_dir("prod", "web") == "clusters/prod/web"
    assert writer.shared_task_definition("web") == "task-definitions/web"
    assert writer.repository_file("team/web") == "repositories/team/web"


def test_paths_equal_but_for_case_are_told_apart(tmp_path: Path):
    written = writer.write([td("web", "task-definitions/web"), td("Web", "task-definitions/Web")], tmp_path)
    assert [w.path.name for w in written] == ["web.yaml", "Web-2.yaml"]
    assert len(loader.load([str(tmp_path)]).manifests) == 2


def test_existing_files_are_not_overwritten_without_force(tmp_path: Path):
    writer.write([td("a", "task-definitions/a")], tmp_path)
    (tmp_path / "task-definitions/a.yaml").write_text("mine\n")
    with pytest.raises(ReconcilerError, match=r"1 file\(s\) exist .*--force.*\n  .*task-definitions/a.yaml"):
        writer.write([td("b", "task-definitions/b"), td("a", "task-definitions/a")], tmp_path)
    assert (tmp_path / "task-definitions/a.yaml").read_text() == "mine\n"
    assert not (tmp_path / "task-definitions/b.yaml").exists()  # nothing written at all
    writer.write([td("a", "task-definitions/a")], tmp_path, force=True)
    assert "kind: TaskDefinition" in (tmp_path / "task-definitions/a.yaml").read_text()


def test_yaml_reads_back_exactly(tmp_path: Path):
    """Multi-line strings, strings that look like other types, keys needing quotes: the loader reads the spec."""
    spec = {"containerDefinitions": [{
        "name": "c", "image": "busybox", "memory": 64,
        "command": ["sh", "-c", "set -e\necho one\n  indented\n", "no", "true", "0123", "1e3", "null", "~", ""],
        "dockerLabels": {"a:b": "x: y", "#c": "- d", "yes": "on"},
        "environment": [{"name": "TRAILING", "value": "line \nnext"}, {"name": "TAB", "value": "a\tb"}]}],
        "cpu": "256", "memory": "512"}
    writer.write([td("t", "task-definitions/t", **spec)], tmp_path)
    [manifest] = loader.load([str(tmp_path)]).manifests
    assert manifest.spec == {**spec}
    text = (tmp_path / "task-definitions/t.yaml").read_text()
    assert "        - |\n          set -e\n          echo one\n            indented\n" in text
    assert "        - 'no'\n" in text and "        'yes': 'on'\n" in text  # as YAML 1.1 tools read them too


def test_document_order_and_header(tmp_path: Path):
    doc = td("t", "clusters/c/s/taskdef")
    doc.adopt()
    writer.write([doc], tmp_path)
    text = (tmp_path / "clusters/c/s/taskdef.yaml").read_text()
    assert text.splitlines()[:8] == [
        "# yaml-language-server: $schema=../../../reconciler.schema.json",
        "# Imported by `reconciler import` from test",
        "apiVersion: reconciler/v1", "kind: TaskDefinition", "metadata:", "  name: t", "  annotations:",
        "    reconciler.io/adopt: 'true'"]


def test_json_format_writes_the_same_document(tmp_path: Path):
    doc = td("t", "task-definitions/t")
    writer.write([doc], tmp_path, fmt="json")
    assert json.loads((tmp_path / "task-definitions/t.json").read_text()) == doc.document()
