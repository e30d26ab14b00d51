"""A local lock: one writer per machine and target, with the `filelock` library (flock on POSIX).

Beside the lock file we keep `<lock>.owner` (JSON: holder, pid, since, scope) so that a writer who is
refused can say who holds the lock and since when. The lock itself is the OS lock, never the owner file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import filelock

from reconciler import log
from reconciler.errors import LockHeldError, LockLostError
from reconciler.locking.base import LockContext, default_holder, iso_utc

POLL_INTERVAL = 0.05


def default_lock_path(scope: str) -> str:
    """Where the lock for `scope` (e.g. endpoint + region + owner) lives when no path is given:
    $XDG_RUNTIME_DIR if usable, else the temp dir; the name is a hash of the scope."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    directory = runtime if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK) else None
    directory = directory or tempfile.gettempdir()
    digest = hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]
    return os.path.join(directory, f"reconciler-{digest}.lock")


class FileLock(LockContext):
    """A `Lock` over a local file. Not re-entrant: acquiring a lock this object already holds is an error."""

    def __init__(self, path: str, scope: str, timeout: float) -> None:
        self.path = str(Path(path).expanduser())
        self.scope = scope
        self.name = f"lock file '{self.path}'" + (f" ({scope})" if scope else "")
        self._timeout = timeout
        self._owner_path = self.path + ".owner"
        self._holder = default_holder()
        self._lock = filelock.FileLock(self.path, thread_local=False)
        self._guard = threading.Lock()
        self._held = False
        self._identity: tuple[int, int] | None = None

    def acquire(self, timeout: float) -> None:
        with self._guard:
            if self._held:
                raise RuntimeError(f"{self.name} is already held by this process")
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            try:
                self._lock.acquire(timeout=max(0.0, timeout), poll_interval=POLL_INTERVAL)
            except filelock.Timeout:
                raise self._held_error(timeout) from None
            self._held = True
            try:
                st = os.stat(self.path)
                self._identity = (st.st_dev, st.st_ino)
            except OSError:
                self._identity = None
            self._write_owner()
        log.get().debug("Acquired lock", lock=self.name, holder=self._holder)

    def release(self) -> None:
        with self._guard:
            if not self._held:
                return
            self._held = False
            self._identity = None
            self._remove_owner()
            try:
                self._lock.release(force=True)
            except OSError as exc:  # the OS drops the lock with the file descriptor anyway
                log.get().warning("Could not release lock cleanly", lock=self.name, error=str(exc))
        log.get().debug("Released lock", lock=self.name, holder=self._holder)

    def check(self) -> None:
        with self._guard:
            if not self._held:
                raise LockLostError(f"{self.name} is not held", lock=self.name)
            if not self._lock.is_locked:
                raise LockLostError(f"{self.name} was released underneath us", lock=self.name)
            try:
                st = os.stat(self.path)
            except OSError:
                raise LockLostError(f"{self.name} was deleted while we held it", lock=self.name) from None
            if self._identity is not None and (st.st_dev, st.st_ino) != self._identity:
                raise LockLostError(f"{self.name} was replaced while we held it", lock=self.name)

    # -- the owner file --------------------------------------------------------------------------------------

    def _write_owner(self) -> None:
        record = {"holder": self._holder, "pid": os.getpid(), "since": iso_utc(time.time()), "scope": self.scope}
        tmp = f"{self._owner_path}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(tmp, self._owner_path)
        except OSError as exc:
            log.get().warning("Could not record the lock owner", lock=self.name, error=str(exc))
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _read_owner(self) -> dict[str, object]:
        try:
            with open(self._owner_path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remove_owner(self) -> None:
        if self._read_owner().get("holder") == self._holder:
            with contextlib.suppress(OSError):
                os.unlink(self._owner_path)

    def _held_error(self, timeout: float) -> LockHeldError:
        owner = self._read_owner()
        holder = str(owner["holder"]) if owner.get("holder") else None
        since = str(owner["since"]) if owner.get("since") else None
        who = f"held by {holder}" if holder else "held by another process (holder unknown)"
        when = f" since {since}" if since else ""
        waited = f"; gave up after {timeout:g}s" if timeout > 0 else ""
        return LockHeldError(f"{self.name} is {who}{when}{waited}", lock=self.name, holder=holder, since=since)


def file_lock(path: str | None, scope: str, timeout: float) -> FileLock:
    """A local lock at `path`, or at a default path derived from `scope` when `path` is None."""
    return FileLock(path if path is not None else default_lock_path(scope), scope, timeout)
