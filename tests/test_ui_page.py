"""The controller page over HTTP (no browser): what it shows, escaped; security headers and no inline script
or style; filters; "Sync now" only with --ui-allow-sync, a CSRF token and the same origin, and it only wakes
the loop, which then runs a pass triggered "ui"."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.controller.http import PAGE_CSP, ControllerState, UiSettings, serve
from reconciler.controller.loop import Controller
from reconciler.controller.metrics import Metrics
from reconciler.controller.page import parse_filters
from reconciler.controller.sources import DirectorySource

from .test_controller import examples, metric, settings, wait_for

HOSTILE = '<script>alert("x")</script>'


def hostile_state() -> ControllerState:
    """Names, events and errors are AWS and user data: each carries markup that must stay text."""
    state = ControllerState(ready=True, source="manifests/", revision="0123456789abcdef0123456789abcdef01234567")
    state.last_pass = {"trigger": "resync", "startedAt": 1796367562.5, "result": "error", "durationSeconds": 1.5,
                       "awsCalls": 12, "awsCallsByOperation": {"ecs.DescribeServices": 12}, "planned": 1,
                       "applied": 0, "errors": [f"web.yaml:3:1: {HOSTILE}"],
                       "changes": [{"kind": "Service", "name": "demo/web", "action": "update",
                                    "fields": [{"path": "desiredCount", "before": 5, "after": 2}]}]}
    state.resources = [
        {"kind": "Service", "name": "demo/web", "cluster": "demo", "sync": "out-of-sync", "health": "healthy",
         "running": 5, "desired": 5, "revision": "web:1", "detail": "desiredCount",
         "fields": [{"path": "desiredCount", "before": 5, "after": 2},
                    {"path": "tags[note]", "before": HOSTILE, "after": None}],
         "events": [f"(service web) {HOSTILE}"]},
        {"kind": "Service", "name": "other/api", "cluster": "other", "sync": "held", "health": "degraded",
         "running": 1, "desired": 1, "revision": "api:3", "detail": "last rollout of api:4 failed",
         "failure": "rollout of api:4 failed: 3 tasks stopped: api: exit code 137 (OutOfMemoryError)"},
        {"kind": "Cluster", "name": "demo", "cluster": "demo", "sync": "in-sync", "health": "healthy"},
        {"kind": "Repository", "name": f"x{HOSTILE}", "sync": "in-sync", "health": "healthy"},
    ]
    state.rollouts = [{"resource": "Service/demo/web", "cluster": "demo", "service": "web",
                       "since": "2026-12-04T07:00:00Z", "wanted": "web:2", "previous": "web:1",
                       "phase": "progressing", "revision": "web:2",
                       "running": 1, "desired": 2, "pending": 1, "failedTasks": 0}]
    state.activity = [{"time": "2026-12-04T07:00:01Z", "type": "sync.failed", "severity": "error",
                       "title": "The pass failed", "message": HOSTILE}]
    state.service_events = [{"time": "2026-12-04T07:00:02Z", "at": 1796367602.0, "resource": "Service/demo/web",
                             "message": f"(service web) {HOSTILE}"}]
    return state


@pytest.fixture
def page_server() -> Iterator[tuple[str, ControllerState, UiSettings, Metrics]]:
    state, metrics = hostile_state(), Metrics()
    ui = UiSettings(allow_sync=True)
    woken = threading.Event()
    ui.wake = woken.set
    server = serve(state, metrics, "127.0.0.1", 0, ui)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state, ui, metrics
    finally:
        server.shutdown()


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read().decode()


def post(url: str, body: str = "", **headers: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **headers})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect()).open(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read().decode()


def test_the_page_shows_the_state_escaped_with_strict_headers(page_server: Any) -> None:
    base, _, ui, _ = page_server
    status, headers, html = get(base + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == PAGE_CSP and "unsafe-inline" not in PAGE_CSP
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert HOSTILE not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # No inline script or style: one script and one stylesheet of this server, no external asset.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="ui.js" defer>']
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    # Every address relative: the page also works behind a proxy that serves it under a path prefix.
    assert not re.search(r"(src|href|action|data-live)=\"/", html)
    # What a person sees: sync and health, counts, revision, the diff, the rollout, the failure's reason.
    assert 'data-key="Service/demo/web" data-sync="out-of-sync" data-health="healthy"' in html
    assert "<code>desiredCount</code>" in html and "2 fields differ from git" in html
    assert "web:1 → web:2" in html and "1/2 running, 1 pending" in html
    assert "exit code 137 (OutOfMemoryError)" in html and "last rollout of api:4 failed" in html
    assert "Commit <code" in html and "0123456789ab</code>" in html
    assert f'name="csrf" value="{ui.csrf_token}"' in html
    for asset, kind in (("/ui.js", "text/javascript"), ("/ui.css", "text/css")):
        status, headers, body = get(base + asset)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body
        assert "http://" not in body and "https://" not in body  # nothing fetched from elsewhere


def test_filters_by_cluster_kind_sync_and_health(page_server: Any) -> None:
    base = page_server[0]
    _, _, html = get(base + "/ui/live?cluster=other")
    assert re.findall(r'data-key="([^"]+)"', html) == ["Service/other/api"]
    assert "Rolling out now" in html and "Nothing is rolling out." in html  # demo's rollout is filtered out
    _, _, html = get(base + "/ui/live?sync=out-of-sync&kind=Service")
    assert re.findall(r'data-key="([^"]+)"', html) == ["Service/demo/web"]
    _, _, html = get(base + "/ui/live?health=healthy&kind=Cluster")
    assert re.findall(r'data-key="([^"]+)"', html) == ["Cluster/demo"]
    _, _, html = get(base + "/ui/live?sync=bogus&cluster=demo")
    assert len(re.findall(r'data-key="([^"]+)"', html)) == 2  # an impossible value is no filter
    assert parse_filters("sync=held&kind=Nope&x=1&cluster=" + "c" * 300) == {"sync": "held"}


def test_sync_now_needs_the_token_and_the_same_origin(page_server: Any) -> None:
    base, state, ui, metrics = page_server
    host = base.removeprefix("http://")
    assert post(base + "/sync", f"csrf={ui.csrf_token}")[0] == 403  # no Origin nor Referer
    assert post(base + "/sync", "csrf=wrong", Origin=base)[0] == 403
    assert post(base + "/sync", "", Origin=base)[0] == 403
    assert post(base + "/sync", f"csrf={ui.csrf_token}", Origin="http://evil.example")[0] == 403
    assert post(base + "/sync", f"csrf={ui.csrf_token}", Referer="http://evil.example/" + host)[0] == 403
    assert not state.sync_requested and metric(metrics, "reconciler_ui_sync_requests_total") == 0
    status, headers, _ = post(base + "/sync", f"csrf={ui.csrf_token}", Origin=base)
    assert status == 303 and headers["Location"] == "./?synced=1" and state.sync_requested
    status, _, body = post(base + "/sync", "", Referer=base + "/?kind=Service", Accept="application/json",
                           **{"X-CSRF-Token": ui.csrf_token})
    assert status == 202 and body.strip() == '{"requested": true}'
    assert metric(metrics, "reconciler_ui_sync_requests_total") == 2
    assert "A pass was requested" in get(base + "/?synced=1")[2]
    assert post(base + "/anything", f"csrf={ui.csrf_token}", Origin=base)[0] == 404


def test_read_only_by_default() -> None:
    state = hostile_state()
    server = serve(state, Metrics(), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        html = get(base + "/")[2]
        assert "Sync now" not in html and 'name="csrf"' not in html and "It is read-only." in html
        status, _, body = post(base + "/sync", "csrf=x", Origin=base)
        assert status == 403 and "--ui-allow-sync" in body and not state.sync_requested
    finally:
        server.shutdown()


def test_sync_now_wakes_the_loop_for_a_pass(aws: Any, tmp_path: Path) -> None:
    """The button only wakes the loop: the pass runs on the loop's thread, triggered "ui"; several clicks
    while a pass waits are one pass."""
    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings(resync=3600))
    ui = UiSettings(allow_sync=True, wake=controller.wake.set)
    server = serve(controller.state, controller.metrics, "127.0.0.1", 0, ui)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=controller.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: controller.state.ready and not controller.watcher.pending)
        passes = controller.passes
        for _ in range(3):
            assert post(base + "/sync", f"csrf={ui.csrf_token}", Origin=base)[0] == 303
        wait_for(lambda: controller.state.last_pass.get("trigger") == "ui")
        assert controller.passes >= passes + 1 and controller.state.last_pass["applied"] == 0
    finally:
        controller.stop.set()
        controller.wake.set()
        thread.join(10)
        server.shutdown()
    assert not controller.state.sync_requested


def test_nothing_is_rendered_unless_asked(tmp_path: Path) -> None:
    """With nobody viewing the page a pass publishes plain data: the page's module and its template engine are
    not even imported (in a fresh interpreter)."""
    script = """
import sys
from moto import mock_aws
from reconciler import pipeline
from reconciler.aws.clients import AwsSettings
from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.sources import DirectorySource
from reconciler.sandbox import install_ecs_fixes, seed_sandbox, set_pace
install_ecs_fixes()
set_pace(0.02)
with mock_aws():
    seed_sandbox(None, "us-east-1")
    controller = Controller(DirectorySource([sys.argv[1]]), pipeline.connect(AwsSettings(region="us-east-1")),
                            WatchSettings(options=pipeline.PlanOptions()))
    assert controller.reconcile_once("start")["result"] == "success"
print(sorted(m for m in ("jinja2", "reconciler.controller.page") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script, str(examples(tmp_path))], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_service_events_are_listed_once_and_bounded() -> None:
    """A rollout followed anew reports the last seconds' events again: listed once. At most 50 are kept, and
    the activity keeps its last 50 entries: nothing grows with time."""
    state = ControllerState()
    assert state.service_event("Service/demo/web", "(service web) has reached a steady state.", 1000.0)
    assert not state.service_event("Service/demo/web", "(service web) has reached a steady state.", 1010.0)
    assert state.service_event("Service/demo/api", "(service web) has reached a steady state.", 1010.0)
    assert state.service_event("Service/demo/web", "(service web) has reached a steady state.", 1100.0)
    for n in range(200):
        state.service_event("Service/demo/web", f"event {n}", 2000.0 + n)
        state.record([{"type": "sync.applied", "title": f"pass {n}"}])
    assert len(state.service_events) == 50 and state.service_events[0]["message"] == "event 199"
    assert len(state.activity) == 50 and state.activity[0]["title"] == "pass 199"


def test_rows_follow_their_rollout_between_passes(aws: Any, tmp_path: Path) -> None:
    """Before, /status said `progressing 0/2` until the next pass (minutes later, at resync). Now the rollout
    is listed as soon as the pass started it, and the polls that already run between passes bring the row to
    `healthy 2/2`: no pass, no extra AWS call."""
    from reconciler.sandbox import set_pace

    set_pace(1.0)  # ECS steps once a second: the rollout lasts a few (the aws fixture restores the pace)
    controller = Controller(DirectorySource([str(examples(tmp_path))]), aws, settings())
    controller.reconcile_once("start")
    [row] = [r for r in controller.state.resources if r["kind"] == "Service"]
    assert row["health"] == "progressing" and row["desired"] == 2 and row["running"] < 2
    [rollout] = controller.state.rollouts
    assert rollout["resource"] == "Service/demo/web" and rollout["wanted"] == "web:1" and rollout["desired"] == 2
    passes = controller.passes
    calls = aws.clients.calls.snapshot()[0]
    seen: set[str] = set()

    def settled() -> bool:
        controller._poll_rollouts()
        seen.update(r.get("phase", "") for r in controller.state.rollouts)
        return not controller.watcher.pending

    wait_for(settled)
    [row] = [r for r in controller.state.resources if r["kind"] == "Service"]
    assert (row["health"], row["running"], row["desired"], row["revision"]) == ("healthy", 2, 2, "web:1")
    assert controller.state.rollouts == [] and controller.passes == passes and "progressing" in seen
    polls = aws.clients.calls.snapshot()[0] - calls
    # Only what the rollout watcher did before: read the service, and tag the revision that rolled out well.
    assert set(polls) <= {"ecs.DescribeServices", "ecs.TagResource"}
    assert any("has reached a steady state" in e["message"] for e in controller.state.service_events)
