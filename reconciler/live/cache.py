"""Task definition revisions, read once: a revision's content never changes, so it is kept by ARN.

`RevisionCache` holds, per revision ARN, what DescribeTaskDefinition reported (without `status` and
`deregisteredAt`, the only parts that change) and the revision's tags as last read, with when they were read. It
lives in memory for a process (`watch` keeps one across passes) and is saved to and loaded from a cache directory
between CLI runs (`DiskCache`). What it holds is never a decision by itself:

- **Content** is AWS's and immutable: on real AWS an ARN names one revision forever (revision numbers are never
  reused, even after DeleteTaskDefinitions). An endpoint that is not AWS (the sandbox, a test double) can be
  reset and hand out the same ARNs again: there, every read first checks the cache against the services'
  deployments it saw before (their ids and creation times, read anyway), or else against one revision read
  again.
- **Tags** are mutable: they are trusted for at most `tags_max_age` (and only to find that nothing changes: the
  caller reads them again before it changes anything; see reconciler.pipeline).
- **Secrets**: a revision whose content or tags hold a secret-looking value in clear (the masking rule of
  reconciler.model.sensitive, with this run's patterns) is kept in memory only, never written to disk.

The file is JSON, versioned (`FORMAT`), written atomically (a temporary file renamed over it), mode 0600 in a
directory of mode 0700, bounded in size (`max_bytes`: the least recently used revisions go first). A missing,
corrupt, foreign or other-version file is a cold cache (logged at debug), never an error. Deleting the directory
is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reconciler.model.sensitive import DEFAULT_PATTERNS
from reconciler.planning.mask import Masker

FORMAT = 1
DIR_ENV = "RECONCILER_CACHE_DIR"
DEFAULT_MAX_BYTES = 64 * 2**20
DEFAULT_TAGS_MAX_AGE = 3600.0  # seconds a revision's tags are trusted to find that nothing changes
ANCHORS_KEPT = 16
MUTABLE_FIELDS = ("status", "deregisteredAt", "deleteRequestedAt")  # what a revision changes after registration
AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")


def _plain(value: Any) -> Any:
    """JSON-safe, the way the cache stores it (timestamps as ISO 8601 text)."""
    return json.loads(json.dumps(value, default=_iso))


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def family_of(arn: str) -> str:
    """"web" from "arn:aws:ecs:...:task-definition/web:7"."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def is_aws_endpoint(endpoint: str) -> bool:
    """Whether `endpoint` is AWS itself (where an ARN names one revision forever), not a stand-in."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return host.endswith(AWS_HOST_SUFFIXES)


@dataclass
class Entry:
    content: dict[str, Any]
    tags: list[dict[str, str]] | None  # ECS's form: [{"key": ..., "value": ...}]; None: not known
    tags_read_at: float
    used_at: float
    size: int
    private: bool = False  # holds a secret-looking value: memory only


@dataclass
class RevisionCache:
    """What is known of task definition revisions, by ARN. Thread-safe."""

    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    max_bytes: int = DEFAULT_MAX_BYTES
    tags_max_age: float = DEFAULT_TAGS_MAX_AGE
    clock: Callable[[], float] = time.time
    # Whether the endpoint is AWS itself (an ARN names one revision forever). Otherwise (the sandbox, a test double)
    # every read first checks that the endpoint was not reset since the cache learnt what it holds.
    aws_endpoint: bool = True
    checked: bool = True
    dirty: bool = False  # learnt something since it was loaded or saved
    entries: dict[str, Entry] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)  # service deployment id -> its createdAt, as last read
    list_pages: int | None = None  # ListTaskDefinitions pages the last listing needed (live.task_definitions)
    _families: set[str] = field(default_factory=set, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- reading ----------------------------------------------------------------------------------
    def content(self, arn: str) -> dict[str, Any] | None:
        """The revision's content as described (a copy), or None when it is not known."""
        with self._lock:
            entry = self.entries.get(arn)
            if entry is None:
                return None
            entry.used_at = self.clock()
            return dict(entry.content)

    def tags(self, arn: str) -> list[dict[str, str]] | None:
        """The revision's tags as last read, if read within `tags_max_age`; None otherwise."""
        with self._lock:
            entry = self.entries.get(arn)
            if entry is None or entry.tags is None or self.clock() - entry.tags_read_at > self.tags_max_age:
                return None
            return [dict(t) for t in entry.tags]

    def knows_family(self, family: str) -> bool:
        """Whether some revision of `family` is known (so its latest one may well be)."""
        with self._lock:
            return family in self._families

    # --- writing ----------------------------------------------------------------------------------
    def put(self, arn: str, described: Mapping[str, Any], tags: list[dict[str, str]] | None) -> dict[str, Any]:
        """Keep what DescribeTaskDefinition reported for `arn` (and its tags, when read with it). Returns the
        content in the form the cache hands out."""
        content = _plain({k: v for k, v in described.items() if k not in MUTABLE_FIELDS})
        tag_list = None if tags is None else _plain(tags)
        private = bool(Masker(self.patterns).secrets_in({"content": content, "tags": tag_list or []}))
        size = len(json.dumps(content)) + len(json.dumps(tag_list))
        now = self.clock()
        with self._lock:
            self.entries[arn] = Entry(content, tag_list, now, now, size, private)
            self._families.add(family_of(arn))
            self.dirty = True
        return dict(content)

    def put_tags(self, arn: str, tags: list[dict[str, str]]) -> None:
        with self._lock:
            entry = self.entries.get(arn)
            if entry is not None:
                entry.tags, entry.tags_read_at = _plain(tags), self.clock()
                self.dirty = True
                entry.private = entry.private or bool(Masker(self.patterns).secrets_in({"tags": entry.tags}))

    def forget_tags(self, arn: str) -> None:
        """The revision's tags changed (we changed them): read them again when they are needed."""
        with self._lock:
            entry = self.entries.get(arn)
            if entry is not None:
                entry.tags = None

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.anchors.clear()
            self._families.clear()
            self.list_pages = None
            self.checked = True
            self.dirty = True

    # --- checking a cache of an endpoint that may have been reset ----------------------------------
    def begin_read(self) -> None:
        """A read of live state starts: on an endpoint that is not AWS, what the cache holds is checked again."""
        with self._lock:
            self.checked = self.aws_endpoint

    def check_deployments(self, deployments: Iterable[tuple[str, str]]) -> bool | None:
        """Compare the (id, createdAt) of service deployments just read with those seen before: True when one is
        seen again and none differs, False when one differs (a reset endpoint: everything is forgotten), None
        when none was seen before. Always True once checked."""
        if self.checked:
            return True
        seen = [(ident, created) for ident, created in deployments if ident in self.anchors]
        if not seen:
            return None
        if all(self.anchors[ident] == created for ident, created in seen):
            self.checked = True
            return True
        self.clear()
        return False

    def check_revision(self, arn: str, described: Mapping[str, Any]) -> bool:
        """Compare a revision just read again with the cached one: a different content or registration time means
        the endpoint was reset (everything is forgotten). Returns whether the cache was right."""
        with self._lock:
            entry = self.entries.get(arn)
            fresh = _plain({k: v for k, v in described.items() if k not in MUTABLE_FIELDS})
            if entry is not None and entry.content == fresh:
                self.checked = True
                return True
        self.clear()
        return False

    def learn_list_pages(self, pages: int) -> None:
        with self._lock:
            if self.list_pages != pages:
                self.list_pages, self.dirty = pages, True

    def remember_deployments(self, deployments: Iterable[tuple[str, str]]) -> None:
        """Deployments (id, createdAt) to check a later read against: those just read replace the others."""
        with self._lock:
            fresh = dict(list(deployments)[:ANCHORS_KEPT])
            if fresh and fresh != self.anchors:
                self.anchors = fresh
                self.dirty = True

    # --- the file ---------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """What is saved: the revisions without secrets, most recently used first, within `max_bytes`."""
        with self._lock:
            kept: dict[str, Any] = {}
            total = 0
            for arn, entry in sorted(self.entries.items(), key=lambda item: -item[1].used_at):
                if entry.private:
                    continue
                total += entry.size
                if total > self.max_bytes:
                    break
                kept[arn] = {"content": entry.content, "tags": entry.tags, "tagsReadAt": entry.tags_read_at,
                             "usedAt": entry.used_at}
            return {"format": FORMAT, "revisions": kept, "anchors": dict(self.anchors), "listPages": self.list_pages}

    def load_json(self, data: Any) -> None:
        """Take what a file held (ValueError when it is not a cache of this format)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a cache of format {FORMAT}")
        revisions, anchors, pages = data.get("revisions"), data.get("anchors"), data.get("listPages")
        if not isinstance(revisions, dict) or not isinstance(anchors, dict):
            raise ValueError("no revisions or anchors")
        if pages is not None and (not isinstance(pages, int) or isinstance(pages, bool) or pages < 0):
            raise ValueError("listPages is not a number of pages")
        entries: dict[str, Entry] = {}
        for arn, item in revisions.items():
            if not (isinstance(item, dict) and isinstance(item.get("content"), dict)
                    and isinstance(item.get("tags"), list | type(None))
                    and isinstance(item.get("tagsReadAt"), int | float)
                    and isinstance(item.get("usedAt"), int | float)
                    and item["content"].get("taskDefinitionArn") == arn):
                raise ValueError(f"a malformed entry for {arn!r}")
            content, tags = item["content"], item["tags"]
            private = bool(Masker(self.patterns).secrets_in({"content": content, "tags": tags or []}))
            if private:
                continue  # secret-looking for this run's patterns: not used from disk (and not saved again)
            size = len(json.dumps(content)) + len(json.dumps(tags))
            entries[arn] = Entry(content, tags, float(item["tagsReadAt"]), float(item["usedAt"]), size)
        with self._lock:
            self.entries = entries
            self.anchors = {str(k): str(v) for k, v in anchors.items()}
            self._families = {family_of(arn) for arn in entries}
            self.list_pages = pages
            self.dirty = False


def default_directory() -> Path:
    """$RECONCILER_CACHE_DIR, else $XDG_CACHE_HOME/reconciler, else ~/.cache/reconciler."""
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reconciler"


@dataclass
class DiskCache:
    """The cache file of one endpoint and region in `directory`."""

    directory: Path
    endpoint: str
    region: str

    @property
    def path(self) -> Path:
        scope = hashlib.sha256(f"{self.endpoint}|{self.region}".encode()).hexdigest()[:24]
        return self.directory / f"task-definitions-{scope}.json"

    def load(self, cache: RevisionCache, debug: Callable[..., None]) -> None:
        """Fill `cache` from the file; a missing or unusable file leaves it empty (cold)."""
        try:
            with self.path.open("rb") as handle:
                data = json.load(handle)
            cache.load_json(data)
            if data.get("endpoint") != self.endpoint or data.get("region") != self.region:
                raise ValueError("the file is for another endpoint or region")
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            cache.clear()
            debug("Task definition cache not used", path=str(self.path), reason=str(exc))
            return
        debug("Task definition cache loaded", path=str(self.path), revisions=len(cache.entries))

    def save(self, cache: RevisionCache, debug: Callable[..., None]) -> None:
        """Write the cache atomically (mode 0600); a failure is logged at debug and is otherwise harmless."""
        data = cache.to_json() | {"endpoint": self.endpoint, "region": self.region}
        tmp = None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".task-definitions-", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # (mkstemp creates it 0600)
                json.dump(data, handle, separators=(",", ":"))
            os.replace(tmp, self.path)
            tmp = None
            cache.dirty = False
        except OSError as exc:
            debug("Task definition cache not saved", path=str(self.path), reason=str(exc))
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
