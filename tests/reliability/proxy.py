"""An HTTP proxy on 127.0.0.1 in front of a `reconciler sandbox` process: it forwards every request, counts the
mutating ones (by the operation in X-Amz-Target, or the Action of a query-protocol request: EC2, Auto Scaling,
IAM), and after the sandbox has answered the k-th one it SIGKILLs the
process it watches (one we started) before the answer reaches it: the call was carried out, the caller died."""

from __future__ import annotations

import http.client
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "BatchCheck")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class KillSwitch:
    """Which process to kill after which mutating call; what was forwarded."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.victim: int | None = None
        self.kill_after: int | None = None
        self.mutations: list[str] = []
        self.killed_after: str | None = None

    def arm(self, pid: int, kill_after: int | None) -> None:
        with self.lock:
            self.victim, self.kill_after, self.mutations, self.killed_after = pid, kill_after, [], None

    def forwarded(self, operation: str) -> bool:
        """Record a forwarded call; True when its caller is to be killed now."""
        if not operation or operation.startswith(READ_PREFIXES):
            return False
        with self.lock:
            self.mutations.append(operation)
            if self.kill_after is None or len(self.mutations) != self.kill_after or self.victim is None:
                return False
            os.kill(self.victim, signal.SIGKILL)
            self.killed_after = operation
            return True


def _handler(upstream: str, switch: KillSwitch) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=120)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            finally:
                connection.close()
            operation = str(self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
            if not operation and body:  # a query-protocol request: Action=Operation&...
                operation = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
            if switch.forwarded(operation):
                self.close_connection = True
                return  # the caller is dead: its answer is lost
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    return Handler


@contextmanager
def killing_proxy(upstream: str) -> Iterator[tuple[str, KillSwitch]]:
    """A proxy to `upstream` on 127.0.0.1 (a free port): its URL and its kill switch."""
    switch = KillSwitch()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, switch))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", switch
    finally:
        server.shutdown()
        server.server_close()
