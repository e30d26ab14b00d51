"""Where manifests come from: a directory (watched with watchfiles, debounced) or a git repository
(cloned once, then fetched every interval; each new commit is one pass; rewrites are noticed)."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from reconciler import log
from reconciler.errors import ReconcilerError


@dataclass(frozen=True)
class Snapshot:
    paths: list[str]
    revision: str | None = None  # the git commit, when the source is git


class SourceError(ReconcilerError):
    pass


class DirectorySource:
    """Manifest files on disk. An editor's burst of writes, or a checkout of many files, is one change."""

    def __init__(self, paths: list[str], debounce_ms: int = 1600) -> None:
        self.paths = paths
        self.debounce_ms = debounce_ms

    def describe(self) -> str:
        return ", ".join(self.paths)

    def snapshot(self) -> Snapshot:
        return Snapshot(list(self.paths))

    def watch(self, stop: threading.Event, wake: threading.Event) -> threading.Thread:
        def run() -> None:
            import watchfiles

            existing = [p for p in self.paths if Path(p).exists()]
            for changes in watchfiles.watch(*existing, stop_event=stop, debounce=self.debounce_ms,
                                            raise_interrupt=False, watch_filter=_manifest_filter):
                log.get().info("Manifests changed", files=sorted({Path(p).name for _, p in changes})[:10])
                wake.set()

        thread = threading.Thread(target=run, name="watch-files", daemon=True)
        thread.start()
        return thread


def _manifest_filter(change: object, path: str) -> bool:
    name = Path(path).name
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


class GitSource:
    """A branch of a git repository, via the git CLI. Each commit is reconciled exactly once."""

    def __init__(self, url: str, branch: str, subpath: str, workdir: str, interval: float) -> None:
        self.url = url
        self.branch = branch
        self.subpath = subpath.strip("/")
        self.repo = Path(workdir) / "repo"
        self.interval = interval
        self.head: str | None = None

    def describe(self) -> str:
        return f"{self.url}#{self.branch}" + (f":{self.subpath}" if self.subpath else "")

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(["git", *args], capture_output=True, text=True, timeout=300,
                                    env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin",
                                         "HOME": str(self.repo.parent)})
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SourceError(f"git {args[0]} failed: {exc}") from exc
        if check and result.returncode != 0:
            raise SourceError(f"git {' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def fetch(self) -> str:
        """Fetch the branch; returns its commit."""
        if not (self.repo / ".git").exists():
            self.repo.parent.mkdir(parents=True, exist_ok=True)
            self._git("clone", "--quiet", "--no-checkout", "--branch", self.branch, "--", self.url, str(self.repo))
        self._git("-C", str(self.repo), "fetch", "--quiet", "--force", "origin",
                  f"+refs/heads/{self.branch}:refs/remotes/origin/{self.branch}")
        return self._git("-C", str(self.repo), "rev-parse", f"refs/remotes/origin/{self.branch}").stdout.strip()

    def snapshot(self) -> Snapshot:
        commit = self.fetch()
        if commit != self.head:
            if self.head is not None:
                ancestor = self._git("-C", str(self.repo), "merge-base", "--is-ancestor", self.head, commit,
                                     check=False)
                if ancestor.returncode != 0:
                    log.get().warning("Branch history was rewritten (force-push or rewind)", previous=self.head,
                                      commit=commit, branch=self.branch)
            self._git("-C", str(self.repo), "checkout", "--quiet", "--force", "--detach", commit)
            self._git("-C", str(self.repo), "clean", "--quiet", "-fdx")
            self.head = commit
        path = self.repo / self.subpath if self.subpath else self.repo
        if not path.exists():
            raise SourceError(f"{self.subpath!r} does not exist in {self.describe()} at {commit[:12]}")
        # A commit can make the manifests directory (or a parent of it) a symlink to anywhere: the loader
        # follows links only inside the directory it is given, so that directory must be inside the clone.
        if not path.resolve().is_relative_to(self.repo.resolve()):
            raise SourceError(f"{self.subpath!r} in {self.describe()} at {commit[:12]} leads outside the repository "
                              f"(a symlink to {path.resolve()}); refusing to read it")
        return Snapshot([str(path)], commit)

    def watch(self, stop: threading.Event, wake: threading.Event) -> threading.Thread:
        def run() -> None:
            while not stop.wait(self.interval):
                try:
                    commit = self.fetch()
                except SourceError as exc:
                    log.get().warning("Could not fetch", source=self.describe(), error=str(exc))
                    continue
                if commit != self.head:
                    log.get().info("New commit", commit=commit, branch=self.branch)
                    wake.set()

        thread = threading.Thread(target=run, name="watch-git", daemon=True)
        thread.start()
        return thread
