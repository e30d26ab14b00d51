"""The controller's HTTP endpoint (127.0.0.1 by default): /healthz (the loop is alive), /readyz (the first
pass is done), /metrics (Prometheus), /status (JSON: the same per-resource status as `reconciler status`,
the last pass with its masked field changes, rollouts in progress, recent activity), and the page: `/` (the
HTML page), `/ui/live` (its live part, which `/ui.js` fetches every few seconds), `/ui.js`, `/ui.css`, and
`POST /sync` (the "Sync now" button: only with --ui-allow-sync, with the page's CSRF token from the same
origin; it only wakes the loop). Everything served is masked once more as it is served; nothing is rendered
unless requested."""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reconciler import log
from reconciler.controller.metrics import Metrics
from reconciler.controller.state import ControllerState

__all__ = ["ControllerState", "UiSettings", "parse_listen", "serve"]

MAX_FORM_BYTES = 4096
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# No inline script or style anywhere: the page's script and style are files of this server.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass
class UiSettings:
    """The page's options. `wake` requests a pass (the controller's loop runs it; never the HTTP thread)."""

    allow_sync: bool = False
    wake: Callable[[], None] | None = None
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    poll_seconds: float = 2.0


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--listen expects HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def serve(state: ControllerState, metrics: Metrics, host: str, port: int,
          ui: UiSettings | None = None) -> ThreadingHTTPServer:
    """Start the endpoint in a daemon thread; `server.server_address` has the real port."""
    settings = ui or UiSettings()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if path == "/healthz":
                alive = time.monotonic() - state.heartbeat < state.stale_after
                self._send(200 if alive else 503, "text/plain", b"ok\n" if alive else b"stalled\n")
            elif path == "/readyz":
                self._send(200 if state.ready else 503, "text/plain", b"ready\n" if state.ready else b"not ready\n")
            elif path == "/metrics":
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render())
            elif path == "/status":
                body = log.masker().value(state.status())
                self._send(200, "application/json", json.dumps(body, indent=2, default=str).encode())
            elif path in ("/", "/ui/live"):
                from reconciler.controller import page

                status = log.masker().value(state.status())
                filters = page.parse_filters(parts.query)
                if path == "/":
                    html = page.render_page(status, filters, allow_sync=settings.allow_sync,
                                            csrf=settings.csrf_token, poll_seconds=settings.poll_seconds,
                                            notice=page.notice(parts.query))
                else:
                    html = page.render_live(status, filters)
                self._send(200, "text/html; charset=utf-8", html.encode(), page=True)
            elif path in ("/ui.js", "/ui.css"):
                from reconciler.controller import page

                kind = "text/javascript" if path.endswith(".js") else "text/css"
                self._send(200, f"{kind}; charset=utf-8", page.asset(path.lstrip("/")))
            else:
                self._send(404, "text/plain", b"not found: try / /healthz /readyz /metrics /status\n")

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/sync":
                self._send(404, "text/plain", b"not found\n")
                return
            if not settings.allow_sync:
                self._send(403, "text/plain", b"sync from the page is off: start watch with --ui-allow-sync\n")
                return
            refused = self._refuse_cross_site()
            if refused:
                self._send(403, "text/plain", f"refused: {refused}\n".encode())
                return
            metrics.ui_syncs.inc()
            state.sync_requested = True
            if settings.wake is not None:
                settings.wake()
            log.get().info("Pass requested from the page")
            if "application/json" in (self.headers.get("Accept") or ""):
                self._send(202, "application/json", b'{"requested": true}\n')
            else:
                self.send_response(303)
                self.send_header("Location", "./?synced=1")  # (relative: the page may sit behind a path prefix)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def _refuse_cross_site(self) -> str:
            """A CSRF token (the page's form, per process) and the same origin: else why it is refused."""
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_FORM_BYTES:
                return "request too large"
            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace")) if length else {}
            token = self.headers.get("X-CSRF-Token") or (form.get("csrf") or [""])[0]
            if not hmac.compare_digest(token.encode(), settings.csrf_token.encode()):
                return "missing or wrong CSRF token (reload the page)"
            host = self.headers.get("Host") or ""
            origin = self.headers.get("Origin") or self.headers.get("Referer") or ""
            if not origin or urlsplit(origin).netloc != host:
                return "not from this page's origin"
            return ""

        def _send(self, code: int, kind: str, body: bytes, page: bool = False) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            if page:
                self.send_header("Content-Security-Policy", PAGE_CSP)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # probes every few seconds would flood the log

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
