"""Manifests are parsed by libyaml (fast) where PyYAML has it, by ruamel's pure-Python parser otherwise: both give
the same documents, with the same positions, and refuse the same input (reconciler.loading.yamldoc)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.loading import yamldoc

from ..conftest import FIXTURES, MANIFESTS
from ..hostile.cases import CASES

EDGES = {
    "anchors-and-merges": "base: &b {a: 1, b: [x, y]}\nuse:\n  <<: *b\n  b: own\nlist: [*b, *b]\n",
    "block-scalars": "lit: |\n  one\n  two\nfold: >-\n  a\n  b\nkeep: |+\n  x\n\n",
    "quoted": "s: 'it''s'\nd: \"tab\\t\\u00e9\"\nplain: 0x1F\noct: 0o17\nyes: yes\ntime: 22:22\n",
    "documents": "---\na: 1\n---\n---\nb: [1, {c: d}]\n...\n",
    "tags": "a: !!str 12\nb: !!int '7'\nc: ! x\nd: !!float 1\ne: !!null ''\n",
    "directive": "%YAML 1.2\n---\na: 1\n",
    "yaml-1.1-directive": "%YAML 1.1\n---\na: 1\n",
    "unicode": "é: ü\nlist:\n  - ✓ done\n  - \"日本\"\n",
    "flow-in-block": "a:\n  - {b: [1, 2], c: {d: e}}\n  - [f, [g, [h]]]\n",
    "unknown-tag": "a: !Ref x\n",
    "duplicate": "a: 1\na: 2\n",
    "bad-syntax": "a: [1, 2\nb: c\n",
    "tab-indent": "a:\n\tb: c\n",
    "control-char": "a: b\x07\n",
    "deep-flow": "a: " + "[" * 5000,
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(80)),
    "alias-before-anchor": "a: *nope\n",
}


def corpus() -> dict[str, str]:
    texts = dict(EDGES)
    for path in [*MANIFESTS.glob("*.yaml"), *FIXTURES.rglob("*.yaml"), *FIXTURES.rglob("*.yml")]:
        texts[str(path.relative_to(path.parents[1]))] = path.read_text()
    for case in CASES:
        for name, content in case.files.items():
            if not name.endswith((".yaml", ".yml")):
                continue
            try:
                text = yamldoc.decode(content if isinstance(content, bytes) else content.encode())
            except yamldoc.YamlError:
                continue  # refused before parsing, whichever parser
            if len(text) <= 2_000_000:
                texts[f"{case.id}/{name}"] = text
    return texts


def at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data[part]
    return data


def summary(doc: yamldoc.Document) -> Any:
    """A document's data and positions. (An empty value has no text to point at: libyaml places it right after
    its key, ruamel at the next token; both are fine for a message, so those positions are not compared.)"""
    values = {loc: pos for loc, pos in doc.values.items() if at(doc.data, loc) is not None}
    return doc.data, values, doc.keys, doc.numbers, doc.booleans


def read(text: str, events: Any) -> Any:
    """Each document as plain data with its positions, or the refusal."""
    try:
        out = []
        for index, root in yamldoc._parse(text, events(text)):
            if root is None:
                out.append(None)
                continue
            out.append(summary(yamldoc.to_document(index, root)))
        return out
    except yamldoc.YamlError as exc:
        return ("refused", exc.message if _ours(exc.message) else "a YAML error")


def _ours(message: str) -> bool:
    """Our own refusals (worded here): the parsers word their syntax errors each their own way."""
    return not message.startswith("invalid YAML:")


def libyaml_only(text: str) -> Any:
    """The libyaml path as `parse` runs it (with its fallback for libyaml's own nesting limit)."""
    try:
        out = []
        for index, root in yamldoc.parse(text):
            if root is None:
                out.append(None)
                continue
            out.append(summary(yamldoc.to_document(index, root)))
        return out
    except yamldoc.YamlError as exc:
        return ("refused", exc.message if _ours(exc.message) else "a YAML error")


TEXTS = corpus()


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_both_parsers_read_the_same(name: str) -> None:
    text = TEXTS[name]
    assert libyaml_only(text) == read(text, yamldoc._ruamel_events)


def test_the_corpus_covers_both_outcomes() -> None:
    results = [libyaml_only(text) for text in TEXTS.values()]
    assert sum(1 for r in results if isinstance(r, tuple)) >= 10
    assert sum(1 for r in results if isinstance(r, list)) >= 20


def test_libyaml_is_the_parser_in_use() -> None:
    assert yamldoc._LibyamlParser is not None


def test_deep_flow_nesting_is_placed_at_the_bracket_that_goes_too_deep(tmp_path: Path) -> None:
    with pytest.raises(yamldoc.YamlError) as caught:
        list(yamldoc.parse("a: " + "[" * 100_000))
    assert caught.value.position == (1, 3 + yamldoc.MAX_DEPTH + 1)
