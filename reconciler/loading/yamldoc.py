"""YAML bytes to plain Python documents, with the position of every value, treating the text as untrusted.

- **YAML 1.2 core schema only**, resolved here from the parser's events (no object is ever constructed by
  the YAML library): `yes`/`no`/`on`/`off` and `22:22` are strings, `017` is 17, `0o17` and `0x1F` are
  numbers; a `%YAML 1.1` directive is refused rather than half-honoured.
- **Tags:** only the standard ones (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq`, and
  the non-specific `!`). Any other tag (`!Ref`, `!!python/name:...`, `!!binary`) is an error at its
  position: nothing is evaluated and nothing is dropped silently.
- **Limits:** nesting deeper than `MAX_DEPTH` is refused while scanning (before any recursion: the
  scanner is stopped at the bracket that goes too deep, so `[[[[...` costs nothing), and a document may
  expand to at most `MAX_NODES` values (aliases count every time they are used: no alias bombs; a
  recursive alias is caught by the depth limit).
- **Merge keys** (`<<: *base`, `<<: [*a, *b]`) work as in YAML 1.1 and Kubernetes: keys written in the
  mapping win, then the merged mappings in order. A merge of anything but mappings is an error.
- Duplicate keys are an error; keys must be scalars. UTF-8 only (a UTF-8 BOM is fine), no NUL bytes.

The events come from libyaml (through PyYAML's C binding) when it is installed, which parses about 25 times faster
than ruamel's pure-Python parser (the one used otherwise): loading 1,000 manifests took 2.2 s of the 2.7 s of a
`validate`, nearly all of it in ruamel's scanner (profiled). Both give the same events; what a manifest means is
decided here either way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import Scanner, ScannerError

try:  # libyaml, through PyYAML's C binding
    import yaml as _pyyaml
    from yaml._yaml import CParser as _LibyamlParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml: ruamel's parser
    _pyyaml = None
    _LibyamlParser = None

if _pyyaml is not None:
    _DOCUMENT_START: tuple[type[Any], ...] = (DocumentStartEvent, _pyyaml.DocumentStartEvent)
    _DOCUMENT_END: tuple[type[Any], ...] = (DocumentEndEvent, _pyyaml.DocumentEndEvent)
    _MAPPING_START: tuple[type[Any], ...] = (MappingStartEvent, _pyyaml.MappingStartEvent)
    _COLLECTION_START: tuple[type[Any], ...] = (MappingStartEvent, SequenceStartEvent, _pyyaml.MappingStartEvent,
                                           _pyyaml.SequenceStartEvent)
    _COLLECTION_END: tuple[type[Any], ...] = (MappingEndEvent, SequenceEndEvent, _pyyaml.MappingEndEvent,
                                         _pyyaml.SequenceEndEvent)
    _SCALAR: tuple[type[Any], ...] = (ScalarEvent, _pyyaml.ScalarEvent)
    _ALIAS: tuple[type[Any], ...] = (AliasEvent, _pyyaml.AliasEvent)
else:  # pragma: no cover
    _DOCUMENT_START, _DOCUMENT_END, _MAPPING_START = (DocumentStartEvent,), (DocumentEndEvent,), (MappingStartEvent,)
    _COLLECTION_START = (MappingStartEvent, SequenceStartEvent)
    _COLLECTION_END = (MappingEndEvent, SequenceEndEvent)
    _SCALAR, _ALIAS = (ScalarEvent,), (AliasEvent,)

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_INT_DIGITS = 20  # AWS integers are at most 64-bit; longer digit strings are refused, never converted

Loc = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column

CORE = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


class YamlError(Exception):
    def __init__(self, message: str, position: Position | None = None) -> None:
        self.message = message
        self.position = position
        super().__init__(message)


@dataclass(eq=False)
class Scalar:
    value: Any
    text: str
    position: Position
    merge: bool = False  # the merge key `<<`


@dataclass(eq=False)
class Mapping:
    position: Position
    pairs: list[tuple[Scalar, Node]] = field(default_factory=list)


@dataclass(eq=False)
class Sequence:
    position: Position
    items: list[Node] = field(default_factory=list)


Node = Scalar | Mapping | Sequence


@dataclass
class Document:
    """One YAML document as plain data, with where each value (and each mapping key) was written."""

    index: int
    data: Any
    position: Position
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)
    numbers: dict[Loc, str] = field(default_factory=dict)  # values YAML read as numbers: their source text
    booleans: set[Loc] = field(default_factory=set)  # values YAML read as true/false
    problems: list[tuple[str, Loc]] = field(default_factory=list)  # e.g. variables that cannot be substituted

    def locate(self, loc: Loc, key: bool = False) -> Position:
        """Where `loc` (or its deepest written ancestor) is; the key's position when `key` and it has one."""
        if key and loc in self.keys:
            return self.keys[loc]
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.values:
                return self.values[loc[:n]]
        return self.position


class _DepthLimitedScanner(Scanner):
    """Stops at the first `[` or `{` nested deeper than MAX_DEPTH (ruamel's scanner slows down
    quadratically with flow nesting, so it must not even look at the rest)."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise ScannerError(None, None, f"nested deeper than {MAX_DEPTH} levels", self.reader.get_mark())
        super().fetch_flow_collection_start(TokenClass, to_push)


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); YamlError at the first byte that is not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlError("the file is UTF-16 or UTF-32; save it as UTF-8", (1, 1))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise YamlError("the file contains NUL bytes (is it binary?)", _byte_position(data, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                        _byte_position(data, exc.start)) from None


def _byte_position(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[line_start:offset].decode("utf-8", "replace")) + 1


def _text_position(text: str, offset: int) -> Position:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _mark(event: Any) -> Position:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _libyaml_events(text: str) -> Iterator[Any]:
    assert _LibyamlParser is not None and _pyyaml is not None
    parser = _LibyamlParser(text)
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, _pyyaml.StreamEndEvent):
                return
            yield event
    finally:
        parser.dispose()


def _ruamel_events(text: str) -> Iterator[Any]:
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _DepthLimitedScanner
    yield from yaml.parse(text)


def parse(text: str) -> Iterator[tuple[int, Node | None]]:
    """(index, root node) per document; YamlError on the first syntax, tag or depth problem."""
    if _LibyamlParser is None:  # pragma: no cover
        yield from _parse(text, _ruamel_events(text))
        return
    done = 0
    try:
        for document in _parse(text, _libyaml_events(text)):
            done += 1
            yield document
    except _pyyaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):
            # libyaml gives up at its own limit, far beyond ours, where it noticed: read the text again with the
            # parser that stops at the bracket that goes too deep, to say where that is.
            for index, document in enumerate(_parse(text, _ruamel_events(text))):
                if index >= done:
                    yield document
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlError(f"invalid YAML: {message}", (mark.line + 1, mark.column + 1) if mark else None) from None
    except _pyyaml.reader.ReaderError as exc:
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        offset = len(text.encode("utf-8")[: exc.position].decode("utf-8", "replace"))  # (libyaml counts bytes)
        raise YamlError(f"invalid YAML: character {character!r} is not allowed in YAML",
                        _text_position(text, offset)) from None
    except _pyyaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None


def _parse(text: str, events: Iterator[Any]) -> Iterator[tuple[int, Node | None]]:
    builder = _Builder()
    try:
        for event in events:
            root = builder.feed(event)
            if root is not None:
                yield root
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlError(f"invalid YAML: {message}", (mark.line + 1, mark.column + 1) if mark else None) from None
    except ReaderError as exc:
        raise YamlError(f"invalid YAML: character {exc.character!r} is not allowed in YAML",
                        _text_position(text, exc.position)) from None
    except YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None


class _Builder:
    """Builds nodes from parser events, iteratively (no recursion), checking tags and depth."""

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []  # [node, pending key or None]
        self.anchors: dict[str, Node] = {}
        self.index = -1
        self.root: Node | None = None

    def feed(self, event: Any) -> tuple[int, Node | None] | None:
        if isinstance(event, _DOCUMENT_START):
            version = getattr(event, "version", None)
            if version and tuple(version) != (1, 2):
                raise YamlError(f"%YAML {'.'.join(map(str, version))} directive: manifests are read as YAML "
                                "1.2 only (yes/no are strings, 017 is decimal); remove the directive", _mark(event))
            self.index += 1
            self.anchors = {}
            self.root = None
        elif isinstance(event, _DOCUMENT_END):
            return self.index, self.root
        elif isinstance(event, _COLLECTION_START):
            is_map = isinstance(event, _MAPPING_START)
            _check_collection_tag(event.tag, "map" if is_map else "seq", _mark(event))
            node: Node = Mapping(_mark(event)) if is_map else Sequence(_mark(event))
            if len(self.stack) >= MAX_DEPTH:
                raise YamlError(f"nested deeper than {MAX_DEPTH} levels", _mark(event))
            self._anchor(event, node)
            self.stack.append([node, None])
        elif isinstance(event, _COLLECTION_END):
            done = self.stack.pop()[0]
            self._add(done, _mark(event))
        elif isinstance(event, _SCALAR):
            scalar = _scalar(event)
            self._anchor(event, scalar)
            self._add(scalar, _mark(event))
        elif isinstance(event, _ALIAS):
            target = self.anchors.get(event.anchor)
            if target is None:
                raise YamlError(f"alias *{event.anchor} refers to no anchor defined before it", _mark(event))
            self._add(target, _mark(event))
        return None

    def _anchor(self, event: Any, node: Node) -> None:
        if event.anchor:
            self.anchors[event.anchor] = node

    def _add(self, node: Node, position: Position) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        parent = frame[0]
        if isinstance(parent, Sequence):
            parent.items.append(node)
        elif frame[1] is None:
            if not isinstance(node, Scalar):
                raise YamlError("a mapping key must be a plain value, not a mapping or a list", position)
            frame[1] = node
        else:
            parent.pairs.append((frame[1], node))
            frame[1] = None


def _check_collection_tag(tag: str | None, kind: str, position: Position) -> None:
    if tag in (None, "!", CORE + kind):
        return
    raise _unknown_tag(tag or "", position)


def _unknown_tag(tag: str, position: Position) -> YamlError:
    shown = "!!" + tag[len(CORE):] if tag.startswith(CORE) else tag
    why = ("Python tags are never evaluated" if "python/" in tag else
           "CloudFormation functions are not evaluated; write the value itself, or use ${VAR}"
           if shown[1:].split(":")[0] in _CFN else "only the standard tags !!str, !!int, !!float, !!bool, !!null, "
                                                     "!!map and !!seq are allowed")
    return YamlError(f"unknown YAML tag {shown!r}: {why}", position)


_CFN = {"Ref", "Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "FindInMap", "ImportValue",
        "Base64", "Cidr", "GetAZs", "And", "Or", "Not", "Condition", "Transform"}


def _scalar(event: Any) -> Scalar:
    text: str = event.value
    position = _mark(event)
    tag = event.tag
    plain = not event.style  # (ruamel: None; libyaml: "")
    if tag is None:
        if not plain:
            return Scalar(text, text, position)
        if text == "<<":
            return Scalar(text, text, position, merge=True)
        return Scalar(_resolve(text, position), text, position)
    if tag == "!" or tag == CORE + "str":
        return Scalar(text, text, position)
    if tag == CORE + "merge":
        return Scalar(text, text, position, merge=True)
    kind = tag[len(CORE):] if tag.startswith(CORE) else None
    if kind in ("int", "float", "bool", "null"):
        value = _resolve(text.strip(), position)
        expected: Any = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[kind]
        if not isinstance(value, expected) or (kind == "int" and isinstance(value, bool)):
            raise YamlError(f"{text!r} is not a valid !!{kind}", position)
        return Scalar(float(value) if kind == "float" else value, text, position)
    raise _unknown_tag(tag, position)


def _resolve(text: str, position: Position) -> Any:
    """A plain scalar by the YAML 1.2 core schema."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    digits = None
    if _INT.fullmatch(text):
        digits, base = text, 10
    elif _OCT.fullmatch(text):
        digits, base = text[2:], 8
    elif _HEX.fullmatch(text):
        digits, base = text[2:], 16
    if digits is not None:
        if len(digits.lstrip("+-0")) > MAX_INT_DIGITS:
            raise YamlError(f"the number {text[:24]}… is too large (quote it if it is text)", position)
        return int(digits, base)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


Substitute = Callable[[str], str]


def to_document(index: int, root: Node, substitute: Substitute | None = None) -> Document:
    """Plain data of one document (dicts, lists, str, int, float, bool, None) with positions.
    `substitute` is applied to every string value (not to keys); a ValueError it raises is recorded in
    `problems` at that value, and the text is kept."""
    doc = Document(index, None, root.position)
    if _expanded_size(root, 0, {}, set()) > MAX_NODES:
        raise YamlError(f"document {index + 1} expands to more than {MAX_NODES} values (YAML aliases?)",
                        root.position)
    converter = _Converter(doc, substitute)
    doc.data = converter.convert(root, (), 0)
    return doc


def _expanded_size(node: Node, depth: int, sizes: dict[int, int], path: set[int]) -> int:
    """How many values `node` expands to, counting each use of an alias (an upper bound with merge keys),
    without expanding anything: an alias bomb is refused before a single copy is made. Each node is sized
    once; recursion stays within MAX_DEPTH (deeper is refused)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in path:
        raise YamlError("a recursive alias (an anchor used inside itself)", node.position)
    if depth > MAX_DEPTH:
        raise YamlError(f"nested deeper than {MAX_DEPTH} levels (through aliases)", node.position)
    path.add(key)
    total = 1
    if isinstance(node, Sequence):
        children: list[Node] = node.items
    elif isinstance(node, Mapping):
        children = [value for _, value in node.pairs]
    else:
        children = []
    for child in children:
        total += _expanded_size(child, depth + 1, sizes, path)
        if total > MAX_NODES:
            break
    path.discard(key)
    sizes[key] = total
    return total


class _Converter:
    def __init__(self, doc: Document, substitute: Substitute | None) -> None:
        self.doc = doc
        self.substitute = substitute
        self.budget = MAX_NODES

    def convert(self, node: Node, loc: Loc, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(f"document {self.doc.index + 1} expands to more than {MAX_NODES} values (YAML aliases?)",
                            node.position)
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels (through aliases)", node.position)
        self.doc.values[loc] = node.position
        if isinstance(node, Scalar):
            return self.scalar(node, loc)
        if isinstance(node, Sequence):
            return [self.convert(item, (*loc, i), depth + 1) for i, item in enumerate(node.items)]
        out: dict[str, Any] = {}
        for key, value in self.pairs(node, depth):
            self.doc.keys[(*loc, key.text)] = key.position
            out[key.text] = self.convert(value, (*loc, key.text), depth + 1)
        return out

    def scalar(self, node: Scalar, loc: Loc) -> Any:
        value = node.value
        if isinstance(value, bool):
            self.doc.booleans.add(loc)
        elif isinstance(value, int | float):
            self.doc.numbers[loc] = node.text
        elif isinstance(value, str) and self.substitute is not None:
            try:
                return self.substitute(value)
            except ValueError as exc:
                self.doc.problems.append((str(exc), loc))
        return value

    def pairs(self, node: Mapping, depth: int) -> list[tuple[Scalar, Node]]:
        """The effective pairs of a mapping: its own keys, then keys merged in with `<<` (not overriding)."""
        own: dict[str, tuple[Scalar, Node]] = {}
        merges: list[tuple[Scalar, Node]] = []
        for key, value in node.pairs:
            if key.merge:
                if merges:
                    raise YamlError("duplicate merge key '<<' (merge several mappings with <<: [*a, *b])",
                                    key.position)
                merges.append((key, value))
                continue
            if key.text in own:
                first = own[key.text][0].position
                raise YamlError(f"duplicate key {key.text!r} (first at line {first[0]}, column {first[1]})",
                                key.position)
            own[key.text] = (key, value)
        if not merges:
            return list(own.values())
        if depth > MAX_DEPTH:
            raise YamlError(f"merge keys nested deeper than {MAX_DEPTH} levels", node.position)
        merged = dict(own)
        key, value = merges[0]
        sources = value.items if isinstance(value, Sequence) else [value]
        for source in sources:
            if not isinstance(source, Mapping):
                raise YamlError("'<<' merges mappings only (a mapping, or a list of mappings)", key.position)
            self.budget -= len(source.pairs)
            for pair in self.pairs(source, depth + 1):
                merged.setdefault(pair[0].text, pair)
        return list(merged.values())
