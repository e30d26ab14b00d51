"""Run the sandbox: moto with every fix, on 127.0.0.1, seeded like a fresh AWS account before it listens.

``Sandbox`` serves moto's WSGI application from a threaded werkzeug server inside this process. It is seeded
through a private server on another port first, and only then binds the port it was asked for: a client that
connects as soon as the port accepts finds the default network and role there. ``Limits`` (latency,
throttling) apply to the public server only, so seeding is never throttled.

moto's state is process-global: every Sandbox (and ``moto.mock_aws()``) in one process shares it, and
entering or leaving ``mock_aws()`` wipes it. ``Sandbox.start()`` therefore resets moto before seeding.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from reconciler.sandbox.install import install
from reconciler.sandbox.limits import Limits, LimitsMiddleware
from reconciler.sandbox.scheduler import set_pace
from reconciler.sandbox.seed import seed_sandbox

__all__ = ["Sandbox", "SandboxStartError", "reset_sandbox"]

_LOAD_MANAGED_POLICIES_ENV = "MOTO_IAM_LOAD_MANAGED_POLICIES"
_IGNORE_ENDPOINTS_ENV = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
_HOST = "127.0.0.1"
_POLL_SECONDS = 0.05  # how often a server thread checks for shutdown (stopping waits at most this long)


class SandboxStartError(RuntimeError):
    """The sandbox cannot start here (a busy port, an environment that could reach real AWS)."""


def _refuse_if_endpoints_ignored() -> None:
    if os.environ.get(_IGNORE_ENDPOINTS_ENV, "").strip().lower() == "true":
        raise SandboxStartError(
            f"refusing to start the sandbox: {_IGNORE_ENDPOINTS_ENV}=true makes AWS SDKs ignore configured "
            "endpoint URLs, so calls meant for the sandbox could reach real AWS. Unset it first."
        )


def _check_port_free(port: int) -> None:
    """Fail before the (slow) seeding when the port is taken."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((_HOST, port))
        except OSError as exc:
            raise SandboxStartError(f"cannot start the sandbox on {_HOST}:{port}: {exc}") from exc


def _post_reset(endpoint_url: str, timeout: float = 5.0) -> None:
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def reset_sandbox(endpoint_url: str | None, *, region: str = "us-east-1", seed: bool = True) -> None:
    """Wipe all moto state (in-process when ``endpoint_url`` is None) and, by default, re-seed it.

    Cost: with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` (set while a ``Sandbox`` runs) moto builds ~1,500
    AWS-managed IAM policies for each of its 6 partitions whenever an IAM backend is created: about 1-2 s on
    a 2-core machine, paid by the re-seed. moto's reset also rebuilds every existing backend eagerly (and then
    throws it away); the variable is switched off for the duration of the reset so that this wasted rebuild
    is cheap. That only helps a moto running in this process (``mock_aws`` or ``Sandbox``).
    """
    saved = os.environ.get(_LOAD_MANAGED_POLICIES_ENV)
    if saved is not None:
        os.environ[_LOAD_MANAGED_POLICIES_ENV] = "false"
    try:
        if endpoint_url is None:
            from moto.moto_api._internal.models import moto_api_backend

            moto_api_backend.reset()
        else:
            _post_reset(endpoint_url)
    finally:
        if saved is not None:
            os.environ[_LOAD_MANAGED_POLICIES_ENV] = saved
    if seed:
        seed_sandbox(endpoint_url, region)


class _Server:
    """A threaded werkzeug server for a WSGI app on 127.0.0.1, listening from construction on."""

    def __init__(self, app: Callable[..., Any], port: int) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        try:
            self._server: BaseWSGIServer = make_server(_HOST, port, app, threaded=True,
                                                       request_handler=MotoRequestHandler)
        except OSError as exc:
            raise SandboxStartError(f"cannot start the sandbox on {_HOST}:{port}: {exc}") from exc
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": _POLL_SECONDS},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{_HOST}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class Sandbox:
    """moto + every fix on ``http://127.0.0.1:PORT``, as a context manager.

    ``port=0`` picks a free port; ``.url`` reports the real one once started. ``iam_managed_policies``
    (default True) sets ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` while the sandbox runs so that AWS-managed
    policies can be attached; the previous value is restored by ``stop()``. ``step_seconds`` sets the
    scheduler's pace (process-wide, see ``set_pace``); None keeps the current one (from
    ``RECONCILER_SANDBOX_STEP_SECONDS``, else 1.0). ``limits`` adds AWS's latency and ECS's throttling to
    every request (``Limits(latency=0.04, throttling=True)``); none by default.
    """

    def __init__(
        self,
        port: int = 0,
        region: str = "us-east-1",
        *,
        iam_managed_policies: bool = True,
        step_seconds: float | None = None,
        limits: Limits | None = None,
    ) -> None:
        if step_seconds is not None and not step_seconds > 0:
            raise ValueError(f"step_seconds must be positive, not {step_seconds!r}")
        self.port = port
        self.step_seconds = step_seconds
        self.region = region
        self.iam_managed_policies = iam_managed_policies
        self.limits = limits or Limits()
        self._middleware: LimitsMiddleware | None = None
        self._server: _Server | None = None
        self._saved_env: str | None = None
        self._env_changed = False

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._server.url

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the sandbox listens on."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return _HOST, self._server.port

    @property
    def running(self) -> bool:
        return self._server is not None

    def throttled(self) -> dict[str, int]:
        """ECS requests answered with ThrottlingException so far, per action."""
        return dict(self._middleware.buckets.throttled) if self._middleware is not None else {}

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        _refuse_if_endpoints_ignored()
        _check_port_free(self.port)
        install()
        if self.step_seconds is not None:
            set_pace(self.step_seconds)
        if self.iam_managed_policies:
            self._saved_env = os.environ.get(_LOAD_MANAGED_POLICIES_ENV)
            os.environ[_LOAD_MANAGED_POLICIES_ENV] = "true"
            self._env_changed = True
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

            app = DomainDispatcherApplication(create_backend_app)
            seeding = _Server(app, 0)
            try:
                reset_sandbox(seeding.url, region=self.region)
            finally:
                seeding.stop()
            self._middleware = LimitsMiddleware(app, self.limits)
            self._server = _Server(self._middleware, self.port)
        except BaseException:
            self.stop()
            raise
        return self

    def reset(self, *, seed: bool = True) -> None:
        """Wipe the sandbox's state and re-seed it."""
        reset_sandbox(self.url, region=self.region, seed=seed)

    def stop(self) -> None:
        server, self._server = self._server, None
        try:
            if server is not None:
                server.stop()
        finally:
            if self._env_changed:
                if self._saved_env is None:
                    os.environ.pop(_LOAD_MANAGED_POLICIES_ENV, None)
                else:
                    os.environ[_LOAD_MANAGED_POLICIES_ENV] = self._saved_env
                self._env_changed = False

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
