"""The controller's HTTP endpoint (127.0.0.1 by default): /healthz (the loop is alive), /readyz (the first
pass is done), /metrics (Prometheus) and /status (JSON: the same per-resource status as `reconciler status`,
and the last pass with its masked field changes). /status is masked once more as it is served."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler import log
from reconciler.controller.metrics import Metrics


@dataclass
class ControllerState:
    """What the loop last saw, shared with the HTTP threads (replace values whole; never mutate in place)."""

    started: float = field(default_factory=time.time)
    heartbeat: float = field(default_factory=time.monotonic)
    ready: bool = False
    source: str = ""
    revision: str | None = None
    last_pass: dict[str, Any] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    suspended: bool = False
    shards: list[str] | None = None
    stale_after: float = 600.0  # /healthz fails when the loop has not beaten for this long

    def status(self) -> dict[str, Any]:
        return {"source": self.source, "revision": self.revision, "ready": self.ready, "suspended": self.suspended,
                "shards": self.shards, "lastPass": self.last_pass, "resources": self.resources}


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--listen expects HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def serve(state: ControllerState, metrics: Metrics, host: str, port: int) -> ThreadingHTTPServer:
    """Start the endpoint in a daemon thread; `server.server_address` has the real port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
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
            else:
                self._send(404, "text/plain", b"not found: try /healthz /readyz /metrics /status\n")

        def _send(self, code: int, kind: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # probes every few seconds would flood the log

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
