"""structlog to stderr: a console renderer on a terminal, JSON lines otherwise (or on request).
stdout carries only a command's result.

Every event goes through the run's `Masker` before it is rendered, at every level: secret entries in
structured values are masked and this run's known secret values are redacted from every string, tracebacks
included (they are formatted as plain text first: no local variables are ever printed). The masker is
process-wide: commands add the secret values they learn (`remember`) and print free text through `redact`.
botocore, boto3 and urllib3 log request bodies at DEBUG; their loggers stay capped at WARNING whatever
--log-level says.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from reconciler.planning.mask import Masker

# Loggers that print request parameters (secrets included) below WARNING.
CAPPED_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")

_masker = Masker()
_lock = threading.Lock()


def configure(fmt: str = "auto", level: str = "info", masker: Masker | None = None) -> None:
    if masker is not None:
        use(masker)
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (structlog.processors.JSONRenderer() if use_json
                     else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # a plain traceback string, so that it is redacted too
            mask_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    cap_sdk_loggers()


def cap_sdk_loggers() -> None:
    """Keep the AWS SDK's and urllib3's DEBUG and INFO output (request bodies) off, whatever was set before."""
    for name in CAPPED_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, logging.WARNING))
    for name in list(logging.root.manager.loggerDict):  # children given a level of their own
        logger = logging.getLogger(name)
        if name.split(".", 1)[0] in CAPPED_LOGGERS and logging.NOTSET < logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def mask_event(logger: Any, method: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: every value of the event masked and redacted."""
    masker = _masker
    return {key: masker.value(value) for key, value in event.items()}


def masker() -> Masker:
    return _masker


def use(new: Masker) -> None:
    global _masker
    with _lock:
        _masker = new


def add_patterns(patterns: Iterable[str]) -> None:
    global _masker
    with _lock:
        _masker = _masker.with_patterns(patterns)


def remember(values: Iterable[Any]) -> None:
    """Redact these clear secret values from everything printed or logged from now on."""
    global _masker
    with _lock:
        _masker = _masker.remember(values)


def redact(text: str) -> str:
    return _masker.text(text)


def get(name: str = "reconciler") -> Any:
    return structlog.get_logger(name)
