"""The constraints the AWS API model itself carries, checked offline.

botocore's shapes hold `min`/`max` (a string's length in characters, a list's or map's item count, a
number's value) and `pattern` for some members; botocore `integer` is a signed 32-bit integer and `long`
a signed 64-bit one. AWS enforces these server-side with a full match of the pattern ("Member must
satisfy regular expression pattern"), so they are applied the same way here. Product fields outside the
API (e.g. a Task's `timeoutSeconds`) are held to 32 bits.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from reconciler.model import shapes
from reconciler.model.keys import Kind
from reconciler.model.specs import KIND_SPECS
from reconciler.validation.issues import Issue, Path

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_RANGES = {"integer": INT32, "long": INT64}

# Java's Unicode classes, which Python's `re` lacks. \p{L} and \p{N} are read as \w (letters, digits and
# underscore): exact for the patterns that use them (tag keys and values), which allow `_` too.
_UNICODE_CLASSES = {
    r"\p{L}": r"\w",
    r"\p{N}": r"\w",
    r"\p{Z}": "\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
    # A range of UTF-16 surrogate pairs (Java's way of naming U+10000 to U+10FFFF, in Auto Scaling and IAM patterns).
    r"\uD800\uDC00-\uDBFF\uDFFF": r"\U00010000-\U0010FFFF",
}


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    for java, python in _UNICODE_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern)


def check(kind: Kind, spec: dict[str, Any]) -> list[Issue]:
    ks = KIND_SPECS[kind]
    shape = shapes.input_shape(ks.service, ks.create_operation)
    out: list[Issue] = []
    for member, value in spec.items():
        if member in shape.members:
            _walk(shape.members[member], value, (member,), out)
        else:
            _product_field(value, (member,), out)
    return out


def _product_field(value: Any, path: Path, out: list[Issue]) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        _range(value, INT32, path, out, "a 32-bit integer")


def _walk(shape: Shape, value: Any, path: Path, out: list[Issue]) -> None:
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        if isinstance(value, dict):
            for member, item in value.items():
                if member in shape.members:
                    _walk(shape.members[member], item, (*path, member), out)
        return
    if isinstance(shape, ListShape):
        if isinstance(value, list):
            _count(len(value), meta, path, out)
            for i, item in enumerate(value):
                _walk(shape.member, item, (*path, i), out)
        return
    if isinstance(shape, MapShape):
        if isinstance(value, dict):
            _count(len(value), meta, path, out)
            for key, item in value.items():
                _walk(shape.key, key, (*path, key), out)
                _walk(shape.value, item, (*path, key), out)
        return
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        _string(value, meta, path, out)
    elif kind in _RANGES and isinstance(value, int) and not isinstance(value, bool):
        low, high = _RANGES[kind]
        if not _range(value, _RANGES[kind], path, out, f"a {'32' if kind == 'integer' else '64'}-bit integer"):
            _range(value, (meta.get("min", low), meta.get("max", high)), path, out)
    elif kind in ("double", "float") and isinstance(value, int | float) and not isinstance(value, bool):
        _range(value, (meta.get("min", float("-inf")), meta.get("max", float("inf"))), path, out)


def _range(value: float, bounds: tuple[float, float], path: Path, out: list[Issue], what: str = "") -> bool:
    low, high = bounds
    if low <= value <= high:
        return False
    if what:
        out.append(Issue(f"{value} is out of range for {what} ({low} to {high})", path))
    elif value < low:
        out.append(Issue(f"must be at least {low} (got {value})", path))
    else:
        out.append(Issue(f"must be at most {high} (got {value})", path))
    return True


def _count(n: int, meta: dict[str, Any], path: Path, out: list[Issue]) -> None:
    if "min" in meta and n < meta["min"]:
        out.append(Issue(f"must have at least {meta['min']} item(s) (got {n})", path))
    if "max" in meta and n > meta["max"]:
        out.append(Issue(f"must have at most {meta['max']} items (got {n})", path))


def _string(value: str, meta: dict[str, Any], path: Path, out: list[Issue]) -> None:
    if "min" in meta and len(value) < meta["min"]:
        out.append(Issue(f"must be at least {meta['min']} character(s) long (got {len(value)})", path))
    if "max" in meta and len(value) > meta["max"]:
        out.append(Issue(f"must be at most {meta['max']} characters long (got {len(value)})", path))
    if "pattern" in meta and not compiled(meta["pattern"]).fullmatch(value):
        shown = value if len(value) <= 60 else value[:59] + "…"
        out.append(Issue(f"{shown!r} does not match the pattern AWS requires: {meta['pattern']}", path))
