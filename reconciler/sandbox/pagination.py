"""AWS-style pages: ``maxResults`` and an opaque ``nextToken`` that survives items coming and going."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["paginate"]


def _encode_token(position: int, last_key: str) -> str:
    raw = json.dumps({"p": position, "k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    padded = token + "=" * (-len(token) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position, last_key = data["p"], data["k"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError("bad token") from exc
    if not isinstance(position, int) or not isinstance(last_key, str) or position < 0:
        raise ValueError("bad token")
    return position, last_key


def paginate(
    items: Sequence[Any],
    keys: Sequence[str],
    max_results: int | None,
    next_token: str | None,
    *,
    default_page: int,
    max_page: int,
    error: Callable[[str], Exception],
) -> tuple[list[Any], str | None]:
    """Cut one AWS-style page out of ``items`` (already in response order; ``keys`` are their unique keys).

    The token is opaque to clients. It remembers the key of the last item returned, so a page boundary
    survives items being added or removed before it; if that item is gone, the remembered position is used.
    """
    if max_results is not None and not 1 <= max_results <= max_page:
        raise error(f"maxResults must be between 1 and {max_page}.")
    size = max_results if max_results is not None else default_page
    start = 0
    if next_token:
        try:
            position, last_key = _decode_token(next_token)
        except ValueError:
            raise error("Invalid nextToken.") from None
        start = keys.index(last_key) + 1 if last_key in keys else min(position, len(items))
    end = start + size
    page = list(items[start:end])
    token = _encode_token(end, keys[end - 1]) if end < len(items) else None
    return page, token
