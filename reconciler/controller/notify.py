"""Deliver notifications without ever holding up a pass: the loop puts each delivery in a bounded queue
(a full queue drops it, counted) and one thread sends them, retrying with exponential backoff and jitter
on connection errors, timeouts, 429 and 5xx answers (honouring Retry-After), giving up on other answers.
Every outcome is counted in `reconciler_notifications_total{sink,result}` (delivered, retried, failed,
dropped). Bodies are masked again as they are queued; destinations are logged as scheme://host only."""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from reconciler import log
from reconciler.controller.metrics import Metrics
from reconciler.controller.sinks import Delivery, Sink
from reconciler.controller.transitions import CommitStatus

QUEUE_SIZE = 256
ATTEMPTS = 6  # 1 + 5 retries: with the default base of 1 s, about a minute before giving up
TIMEOUT_SECONDS = 10.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer like any other: the webhook URL is wrong


class Notifier:
    def __init__(self, sinks: Sequence[Sink], metrics: Metrics, *, attempts: int = ATTEMPTS, base_delay: float = 1.0,
                 max_delay: float = 60.0, timeout: float = TIMEOUT_SECONDS, queue_size: int = QUEUE_SIZE,
                 rand: Callable[[], float] = random.random) -> None:
        self.sinks = list(sinks)
        self.metrics = metrics
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.rand = rand
        self.queue: queue.Queue[Delivery | None] = queue.Queue(maxsize=queue_size)
        self.closing = threading.Event()
        self.opener = urllib.request.build_opener(_NoRedirect())
        self.thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self.thread.start()

    # --- the loop's side: never blocks ------------------------------------------------------------------
    def event(self, event: dict[str, Any]) -> None:
        masked = log.masker().value(event)
        for sink in self.sinks:
            self._put(sink.for_event(masked))

    def commit_status(self, status: CommitStatus) -> None:
        masked = CommitStatus(status.sha, status.state, log.redact(status.description))
        for sink in self.sinks:
            self._put(sink.for_status(masked))

    def _put(self, delivery: Delivery | None) -> None:
        if delivery is None:
            return
        try:
            self.queue.put_nowait(delivery)
        except queue.Full:
            self.metrics.notifications.labels(sink=delivery.sink, result="dropped").inc()
            log.get().warning("Notification dropped: the queue is full", sink=delivery.sink, target=delivery.target)
        self.metrics.notifications_queued.set(self.queue.qsize())

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (no more waiting between retries), for at most `timeout` seconds."""
        self.closing.set()
        with contextlib.suppress(queue.Full):
            self.queue.put(None, timeout=timeout)
        self.thread.join(timeout)

    # --- the delivery thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            delivery = self.queue.get()
            self.metrics.notifications_queued.set(self.queue.qsize())
            if delivery is None:
                return
            try:
                self._deliver(delivery)
            except Exception as exc:  # a bug must not stop notifications for good
                self.metrics.notifications.labels(sink=delivery.sink, result="failed").inc()
                log.get().error("Notification failed", sink=delivery.sink, target=delivery.target, error=repr(exc))

    def _deliver(self, delivery: Delivery) -> None:
        for attempt in range(1, self.attempts + 1):
            retry, wait, why = self._send(delivery)
            if not retry and not why:
                self.metrics.notifications.labels(sink=delivery.sink, result="delivered").inc()
                return
            if not retry or attempt == self.attempts or self.closing.is_set():
                break
            self.metrics.notifications.labels(sink=delivery.sink, result="retried").inc()
            delay = wait if wait is not None else min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
            delay = min(self.max_delay, delay) * (0.5 + self.rand())  # jitter: retries do not come in step
            if self.closing.wait(delay):
                break
        self.metrics.notifications.labels(sink=delivery.sink, result="failed").inc()
        log.get().warning("Notification not delivered", sink=delivery.sink, target=delivery.target,
                          attempts=attempt, error=why)

    def _send(self, delivery: Delivery) -> tuple[bool, float | None, str]:
        """(retry?, how long the server asked us to wait, what went wrong: "" when delivered)."""
        request = urllib.request.Request(delivery.url, data=delivery.body, headers=delivery.headers, method="POST")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
                return False, None, ""
        except urllib.error.HTTPError as exc:
            status = exc.code
            text = log.redact(exc.read(300).decode("utf-8", "replace").strip())
            why = f"HTTP {status}" + (f": {text}" if text else "")
            retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            rate_limited = status == 403 and exc.headers is not None and (
                exc.headers.get("Retry-After") or exc.headers.get("X-RateLimit-Remaining") == "0")
            return status == 429 or status >= 500 or bool(rate_limited), retry_after, why
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            return True, None, log.redact(f"{type(exc).__name__}: {reason}")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
