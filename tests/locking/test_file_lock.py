"""The local file lock: mutual exclusion, who holds it, default paths, the fencing check."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from reconciler.errors import LockHeldError, LockLostError
from reconciler.locking import Lock, default_lock_path, file_lock


def test_second_acquire_is_refused_until_release(tmp_path: Path) -> None:
    """A second acquire with timeout 0 raises LockHeldError (exit 3) naming the file; after release it succeeds."""
    path = str(tmp_path / "apply.lock")
    first: Lock = file_lock(path, "sandbox/us-east-1", timeout=0)
    second: Lock = file_lock(path, "sandbox/us-east-1", timeout=0)
    first.acquire(0)
    with pytest.raises(LockHeldError) as caught:
        second.acquire(0)
    assert caught.value.exit_code == 3
    message = str(caught.value)
    assert path in message
    assert f"{os.getpid()}" in message and " since 20" in message
    first.release()
    second.acquire(0)
    second.check()
    second.release()


def test_waits_up_to_timeout_for_a_release(tmp_path: Path) -> None:
    """acquire(timeout) polls and gets the lock once the holder releases it within the timeout."""
    path = str(tmp_path / "apply.lock")
    first = file_lock(path, "", timeout=0)
    first.acquire(0)
    threading.Timer(0.2, first.release).start()
    started = time.monotonic()
    with file_lock(path, "", timeout=5) as second:
        second.check()
    assert 0.1 < time.monotonic() - started < 3


def test_timeout_expires_while_held(tmp_path: Path) -> None:
    """acquire(timeout) gives up after about `timeout` seconds and says so."""
    path = str(tmp_path / "apply.lock")
    with file_lock(path, "", timeout=0):
        started = time.monotonic()
        with pytest.raises(LockHeldError, match=r"gave up after 0\.3s"):
            file_lock(path, "", timeout=0).acquire(0.3)
        assert time.monotonic() - started >= 0.25


def test_held_by_another_process(tmp_path: Path) -> None:
    """A lock held by another process refuses us and names that process."""
    path = str(tmp_path / "apply.lock")
    script = textwrap.dedent(f"""
        import sys
        from reconciler import log
        from reconciler.locking import file_lock
        log.configure("json", "warning")
        lock = file_lock({path!r}, "other", timeout=0)
        lock.acquire(0)
        print("held", flush=True)
        sys.stdin.readline()
        lock.release()
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError, match=f":{child.pid}:"):
            file_lock(path, "", timeout=0).acquire(0)
    finally:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.close()
        child.wait(timeout=10)
    with file_lock(path, "", timeout=0) as lock:
        lock.check()


def test_default_path_comes_from_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a path, the lock lives under $XDG_RUNTIME_DIR, named from a hash of the scope."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    a = default_lock_path("http://127.0.0.1:5000|us-east-1|team-a")
    assert os.path.dirname(a) == str(tmp_path)
    assert a == default_lock_path("http://127.0.0.1:5000|us-east-1|team-a")
    assert a != default_lock_path("http://127.0.0.1:5000|us-east-1|team-b")
    with file_lock(None, "scope-x", timeout=0):
        with pytest.raises(LockHeldError):
            file_lock(None, "scope-x", timeout=0).acquire(0)
        with file_lock(None, "scope-y", timeout=0):
            pass


def test_check_and_release(tmp_path: Path) -> None:
    """check() passes while held, fails once the file is removed or the lock released; release is idempotent."""
    path = tmp_path / "apply.lock"
    lock = file_lock(str(path), "", timeout=0)
    with pytest.raises(LockLostError):
        lock.check()
    lock.acquire(0)
    lock.check()
    with pytest.raises(RuntimeError):
        lock.acquire(0)
    path.unlink()
    with pytest.raises(LockLostError, match="deleted"):
        lock.check()
    lock.release()
    lock.release()
    with pytest.raises(LockLostError):
        lock.check()
