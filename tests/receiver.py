"""A webhook receiver on 127.0.0.1 for the notification tests: records every POST (path, headers, JSON body),
can answer the first requests with other statuses (to make the sender retry), and can hold requests until
released (a receiver that hangs)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


class Receiver:
    def __init__(self, answers: list[int] | None = None, retry_after: str | None = None) -> None:
        self.received: list[Received] = []
        self.attempts = 0
        self.arrived = 0  # requests that reached the receiver (counted before it holds them)
        self.answers = list(answers or [])  # statuses for the first requests, then 200
        self.retry_after = retry_after
        self.open = threading.Event()
        self.open.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrived += 1
                receiver.open.wait(120)
                receiver.attempts += 1
                status = receiver.answers.pop(0) if receiver.answers else 200
                if status < 300:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), json.loads(raw), raw))
                self.send_response(status)
                if receiver.retry_after and status >= 400:
                    self.send_header("Retry-After", receiver.retry_after)
                body = b'{"ok": true}' if status < 300 else b'{"message": "try later"}'
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[Any]:
        return [r.body for r in list(self.received)]

    def types(self) -> list[str]:
        return [str(b.get("type")) for b in self.bodies()]

    def wait_for(self, count: int, seconds: float = 60.0) -> list[Any]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} notifications: {self.types()}"
            time.sleep(0.05)
        return self.bodies()

    def close(self) -> None:
        self.open.set()
        self.server.shutdown()
