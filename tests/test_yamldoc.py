"""Reading YAML: the 1.2 core schema (what YAML 1.1 would have coerced stays as written, or is refused where
it would silently change), only standard tags, merge keys that behave, limits that hold, positions."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from reconciler import loader
from reconciler.errors import ManifestError
from reconciler.loading import yamldoc

TD = "apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n  name: app\nspec:\n"


def doc(text: str) -> yamldoc.Document:
    [(index, root)] = list(yamldoc.parse(text))
    assert root is not None
    return yamldoc.to_document(index, root)


def data(text: str) -> Any:
    return doc(text).data


@pytest.mark.parametrize(("text", "value"), [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("NO", "NO"),
    ("true", True), ("False", False), ("TRUE", True),
    ("~", None), ("null", None), ("", None),
    ("017", 17), ("0o17", 15), ("0x1F", 31), ("-5", -5), ("+5", 5),
    ("1_000", "1_000"), ("22:22", "22:22"), ("1.10", 1.1), ("1e3", 1000.0), ("2001-12-14", "2001-12-14"),
    (".inf", math.inf), ("-.Inf", -math.inf),
    ("'1.10'", "1.10"), ('"yes"', "yes"), ("!!str 1.10", "1.10"), ("!!str true", "true"), ("! 017", "017"),
    ("!!int '12'", 12), ("!!float 1", 1.0), ("!!bool true", True), ("!!null ''", None),
])
def test_the_yaml_1_2_core_schema(text: str, value: Any) -> None:
    assert data(f"a: {text}\n")["a"] == value


def test_nan_is_read_as_nan() -> None:
    assert math.isnan(data("a: .nan\n")["a"])


@pytest.mark.parametrize("text", ["!!int abc", "!!bool yes", "!!float x", "!!int 1.5"])
def test_standard_tags_on_the_wrong_text_are_errors(text: str) -> None:
    with pytest.raises(yamldoc.YamlError) as info:
        data(f"a: {text}\n")
    assert "is not a valid" in info.value.message and info.value.position == (1, 4)


def test_merge_keys_own_keys_win_then_merges_in_order() -> None:
    result = data("base: &base {a: 1, b: 1, c: 1}\nother: &other {b: 2, d: 2}\n"
                  "x:\n  <<: [*other, *base]\n  a: 0\n")
    assert result["x"] == {"a": 0, "b": 2, "d": 2, "c": 1}


def test_merged_values_are_located_where_they_are_written() -> None:
    parsed = doc("base: &base\n  image: nginx\nx:\n  <<: *base\n  name: web\n")
    assert parsed.locate(("x", "image")) == (2, 10)
    assert parsed.locate(("x", "name")) == (5, 9)


def test_merge_keys_in_a_manifest(tmp_path: Path) -> None:
    """A common container block merged into two containers (as in docker-compose files)."""
    (tmp_path / "td.yaml").write_text(
        TD + "  containerDefinitions:\n"
             "    - &common\n      name: web\n      image: nginx:1.27\n      memory: 128\n"
             "    - <<: *common\n      name: sidecar\n      essential: false\n")
    [m] = loader.load([str(tmp_path)]).manifests
    web, sidecar = m.spec["containerDefinitions"]
    assert sidecar == {"name": "sidecar", "image": "nginx:1.27", "memory": 128, "essential": False}
    assert web["name"] == "web"


def test_an_empty_merge_list_and_quoted_double_angle_are_plain() -> None:
    assert data("x:\n  '<<': 1\n") == {"x": {"<<": 1}}


def test_positions_of_values_and_keys() -> None:
    parsed = doc("a:\n  b: [1, {c: d}]\n")
    assert parsed.locate(("a", "b", 1, "c")) == (2, 14)
    assert parsed.locate(("a", "b", 1, "c"), key=True) == (2, 11)
    assert parsed.locate(("a", "missing", 3)) == (2, 3)


def test_empty_documents_are_skipped_and_a_bom_is_fine(tmp_path: Path) -> None:
    body = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: {}\nspec: {{}}\n"
    (tmp_path / "c.yaml").write_bytes(b"\xef\xbb\xbf" + ("---\n---\n" + body.format("a") + "---\n"
                                                          + body.format("b") + "...\n").encode())
    assert [m.name for m in loader.load([str(tmp_path)]).manifests] == ["a", "b"]


def test_yaml_1_2_directive_is_fine() -> None:
    assert data("%YAML 1.2\n---\na: yes\n") == {"a": "yes"}


def test_anchors_belong_to_their_document() -> None:
    with pytest.raises(yamldoc.YamlError) as info:
        list(yamldoc.to_document(i, r) for i, r in yamldoc.parse("a: &x 1\n---\nb: *x\n") if r is not None)
    assert "refers to no anchor" in info.value.message


def test_sane_values_for_number_and_boolean_fields(tmp_path: Path) -> None:
    """In number and boolean fields, what the author meant: hex and octal numbers, 1_000, yes/no."""
    (tmp_path / "td.yaml").write_text(
        TD + "  containerDefinitions:\n    - name: web\n      image: nginx\n      memory: 0x200\n"
             "      memoryReservation: 1_00\n      cpu: 0o20\n      essential: yes\n"
             "      readonlyRootFilesystem: off\n      environment:\n        - {name: A, value: 42}\n")
    [m] = loader.load([str(tmp_path)]).manifests
    [c] = m.spec["containerDefinitions"]
    assert (c["memory"], c["memoryReservation"], c["cpu"]) == (512, 100, 16)
    assert c["essential"] is True and c["readonlyRootFilesystem"] is False
    assert c["environment"] == [{"name": "A", "value": "42"}]  # a number written as it reads back: fine


def test_a_keyword_written_as_a_yaml_tag_is_named(tmp_path: Path) -> None:
    (tmp_path / "td.yaml").write_text(TD + "  cpu: !GetAtt Thing.Cpu\n")
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)])
    assert "td.yaml:6:8: unknown YAML tag '!GetAtt': CloudFormation functions are not evaluated" in str(info.value)


@pytest.mark.parametrize("text", ["a: " + "[" * 63 + "]" * 63, "".join("  " * i + "- \n" for i in range(63))])
def test_64_levels_of_nesting_are_fine(text: str) -> None:
    value = data(text + "\n")
    depth = 0
    while isinstance(value, dict | list) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
        depth += 1
    assert depth >= 63


@pytest.mark.parametrize("text", ["a: " + "[" * 64 + "]" * 64, "".join("  " * i + "- \n" for i in range(65))])
def test_65_levels_are_refused_at_the_place(text: str) -> None:
    with pytest.raises(yamldoc.YamlError) as info:
        data(text + "\n")
    assert f"nested deeper than {yamldoc.MAX_DEPTH} levels" in info.value.message and info.value.position
