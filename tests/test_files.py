"""Finding and reading manifest files: links that stay inside the root are followed (each file read once),
hidden and vendored directories skipped, every read bounded."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler import loader
from reconciler.errors import Problem
from reconciler.loading import files

CLUSTER = "apiVersion: reconciler/v1\nkind: Cluster\nmetadata:\n  name: {}\nspec: {{}}\n"


def names(root: Path) -> list[str]:
    found, problems = files.read_tree([str(root)])
    assert problems == []
    return [os.path.relpath(f.name, root) for f in found]


def test_links_inside_the_root_are_followed_once(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.yaml").write_text(CLUSTER.format("a"))
    (tmp_path / "alias.yaml").symlink_to("real/a.yaml")
    (tmp_path / "again").symlink_to("real")
    (tmp_path / "loop").symlink_to(".")  # a directory link back to the root: walked once, no endless loop
    assert names(tmp_path) == ["alias.yaml"]
    assert [m.name for m in loader.load([str(tmp_path)]).manifests] == ["a"]


def test_hidden_and_vendored_paths_and_other_files_are_skipped(tmp_path: Path) -> None:
    for path in (".hidden/a.yaml", "node_modules/b.yaml", ".git/c.yaml", "__pycache__/d.yml", ".e.yaml"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("not: [valid")
    (tmp_path / "README.md").symlink_to("/etc/passwd")  # not a manifest: neither followed nor an error
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.yml").write_text(CLUSTER.format("x"))
    (tmp_path / "w.yaml").write_text(CLUSTER.format("w"))
    assert names(tmp_path) == ["w.yaml", "sub/x.yml"]


def test_reading_stops_at_the_cap(tmp_path: Path) -> None:
    """At most cap + 1 bytes are read, whatever the file holds."""
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 5000)
    problems: list[Problem] = []
    data = files.read_capped(str(path), "big.yaml", 100, problems)
    assert data is not None and len(data) == 101 and problems == []


def test_a_directory_named_like_a_manifest_is_walked(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    (tmp_path / "x.yaml" / "c.yaml").write_text(CLUSTER.format("c"))
    assert names(tmp_path) == ["x.yaml/c.yaml"]


def test_names_shown_are_printable() -> None:
    assert files.shown("a\nb\x1b[0m.yaml") == "a\\x0ab\\x1b[0m.yaml"
    assert files.shown("caf\udce9.yaml") == "caf\\udce9.yaml"
