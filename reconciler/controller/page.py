"""The controller's web page, rendered on the server from the (masked) /status document: every resource
with its sync, health, counts and revision; the last pass; rollouts in progress; what is held or failed and
why; the field diff of what is out of sync; recent activity and service events. Jinja2 templates with
autoescaping (resource names, events and errors are AWS and user data), one small script (`ui.js`) that
fetches the live part again every few seconds, one stylesheet; no external asset. Imported, and its
templates loaded, only when someone asks for the page."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from reconciler.controller.metrics import HEALTH_STATES, SYNC_STATES
from reconciler.model.keys import Kind

FILTERS = ("cluster", "kind", "sync", "health")
KINDS = tuple(k.value for k in Kind)
ACTIVITY_SHOWN = 25
SERVICE_EVENTS_SHOWN = 20
ATTENTION_SYNC = ("held", "error")
ATTENTION_HEALTH = ("degraded",)
VALUE_MAX = 400  # characters of one value shown in a diff


def parse_filters(query: str) -> dict[str, str]:
    """Filters from the query string; unknown keys and values that cannot match are dropped."""
    raw = parse_qs(query, max_num_fields=20)
    allowed = {"kind": KINDS, "sync": SYNC_STATES, "health": HEALTH_STATES}
    out: dict[str, str] = {}
    for name in FILTERS:
        value = (raw.get(name) or [""])[0].strip()
        if value and len(value) <= 255 and (name not in allowed or value in allowed[name]):
            out[name] = value
    return out


def notice(query: str) -> str:
    return "A pass was requested: the page shows it as soon as it starts." if "synced=1" in query.split("&") else ""


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("reconciler.controller", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["utc"] = utc
    env.filters["value"] = show_value
    return env


@functools.cache
def asset(name: str) -> bytes:
    """ui.js or ui.css, read once from the package."""
    return resources.files("reconciler.controller").joinpath("static", name).read_bytes()


def render_page(status: dict[str, Any], filters: dict[str, str], *, allow_sync: bool, csrf: str,
                poll_seconds: float = 2.0, notice: str = "") -> str:
    context = view(status, filters)
    context |= {"allow_sync": allow_sync, "csrf": csrf if allow_sync else "", "poll_ms": int(poll_seconds * 1000),
                "notice": notice, "kinds": KINDS, "sync_states": SYNC_STATES, "health_states": HEALTH_STATES}
    return str(_environment().get_template("page.html").render(context))


def render_live(status: dict[str, Any], filters: dict[str, str]) -> str:
    return str(_environment().get_template("live.html").render(view(status, filters)))


# --- the view -------------------------------------------------------------------------------------------
def view(status: dict[str, Any], filters: dict[str, str]) -> dict[str, Any]:
    rows = [_row(r) for r in status.get("resources") or []]
    rollouts = [dict(r) for r in status.get("rollouts") or []]
    clusters = sorted({r["cluster"] for r in rows if r.get("cluster")} | {str(r.get("cluster")) for r in rollouts})
    shown = [r for r in rows if _matches(r, filters)]
    if filters.get("kind") not in (None, Kind.SERVICE.value) or filters.get("sync") or filters.get("health"):
        rollouts = [r for r in rollouts if any(x["key"] == r.get("resource") for x in shown)]
    elif filters.get("cluster"):
        rollouts = [r for r in rollouts if r.get("cluster") == filters["cluster"]]
    sync_counts = {s: sum(r["sync"] == s for r in rows) for s in SYNC_STATES}
    health_counts = {h: sum(r["health"] == h for r in rows) for h in HEALTH_STATES}
    attention = [r for r in shown if r["sync"] in ATTENTION_SYNC or r["health"] in ATTENTION_HEALTH or r.get("failure")]
    events = list(status.get("serviceEvents") or [])
    if filters:
        keys = {r["key"] for r in shown}
        events = [e for e in events if e.get("resource") in keys]
    last = dict(status.get("lastPass") or {})
    summary = _summary(len(rows), sync_counts, health_counts, len(status.get("rollouts") or []), last)
    return {
        "status": status, "rows": shown, "total": len(rows), "rollouts": rollouts, "attention": attention,
        "clusters": clusters, "filters": filters, "filtered": bool(filters), "sync_counts": sync_counts,
        "health_counts": health_counts, "last": last, "last_changes": [_change(c) for c in last.get("changes") or []],
        "activity": list(status.get("activity") or [])[:ACTIVITY_SHOWN], "summary": summary,
        "service_events": events[:SERVICE_EVENTS_SHOWN],
        "revision": status.get("revision"), "query": urlencode(filters),
    }


def _row(row: dict[str, Any]) -> dict[str, Any]:
    key = f"{row.get('kind')}/{row.get('name')}"
    return {**row, "key": key, "id": "r-" + hashlib.sha1(key.encode()).hexdigest()[:12],
            "sync": row.get("sync", "unknown"), "health": row.get("health", "unknown"),
            "fields": [_field(f) for f in row.get("fields") or []], "events": list(row.get("events") or [])}


def _change(change: dict[str, Any]) -> dict[str, Any]:
    key = f"{change.get('kind')}/{change.get('name')}"
    return {**change, "key": key, "id": "c-" + hashlib.sha1(key.encode()).hexdigest()[:12],
            "fields": [_field(f) for f in change.get("fields") or []]}


def _field(f: dict[str, Any]) -> dict[str, Any]:
    return {"path": f.get("path"), "before": show_value(f.get("before")), "after": show_value(f.get("after"))}


def _matches(row: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(str(row.get(name, "")) == value for name, value in filters.items())


def _summary(total: int, sync: dict[str, int], health: dict[str, int], rolling: int, last: dict[str, Any]) -> str:
    """One sentence for screen readers, announced when it changes."""
    parts = [f"{total} resources", f"{sync['in-sync']} in sync"]
    parts += [f"{n} {s}" for s, n in sync.items() if n and s != "in-sync"]
    parts += [f"{n} {h}" for h, n in health.items() if n and h in ("progressing", "degraded")]
    if rolling:
        parts.append(f"{rolling} rolling out")
    if last.get("result"):
        parts.append(f"last pass: {last['result']}")
    return ", ".join(parts) + "."


def utc(value: Any) -> str:
    """A Unix time or an ISO time as `YYYY-MM-DD HH:MM:SS UTC`."""
    if value in (None, ""):
        return ""
    try:
        moment = (datetime.fromtimestamp(float(value), UTC) if isinstance(value, int | float)
                  else datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC))
    except (TypeError, ValueError, OverflowError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def show_value(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= VALUE_MAX else text[:VALUE_MAX] + "…"
