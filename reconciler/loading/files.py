"""Find and read manifest files, treating the tree as untrusted (a commit can carry anything).

- Only regular files are read: a FIFO, device or socket named `*.yaml` is refused without being opened
  for reading (a FIFO would block, `/dev/zero` would never end).
- A symlink is followed only when its target resolves inside the root it was found under (the directory
  given on the command line, or for a file argument the directory holding it). A symlink pointing outside,
  a dangling one and a loop are errors, as is a symlinked directory outside the root.
- Every read is capped while reading (not only by the size `stat` reports): `MAX_FILE_BYTES` per file,
  `MAX_TOTAL_BYTES` for the whole set, and at most `MAX_FILES` files.
- Hidden files and directories (`.name`) are skipped, as are `SKIP_DIRS` and JSON Schemas (`*.schema.json`,
  what `reconciler schema` writes for editors); names with control characters are refused; names are shown
  with anything unprintable escaped.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.errors import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024
MAX_FILES = 5000
SKIP_DIRS = frozenset({".git", ".venv", "node_modules", "__pycache__"})
SUFFIXES = (".yaml", ".yml", ".json")
SKIP_SUFFIXES = (".schema.json",)

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


@dataclass(frozen=True)
class SourceFile:
    name: str  # as shown to people: the path as found, unprintable characters escaped
    data: bytes


def shown(path: str) -> str:
    """`path` safe to print: control characters and undecodable bytes escaped."""
    text = path.encode("utf-8", "backslashreplace").decode("utf-8")
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _what(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Reader:
    def __init__(self) -> None:
        self.files: list[SourceFile] = []
        self.problems: list[Problem] = []
        self.left = MAX_TOTAL_BYTES
        self.count = 0
        self.seen: set[str] = set()
        self.full = False  # a limit on the whole set was hit: stop reading

    def problem(self, message: str, name: str) -> None:
        self.problems.append(Problem(message, file=shown(name)))

    def path(self, raw: str) -> None:
        try:
            st = os.stat(raw)
        except OSError as exc:
            self.problem("no such file or directory" if exc.errno == errno.ENOENT else _oserror(exc), raw)
            return
        if stat.S_ISDIR(st.st_mode):
            root = os.path.realpath(raw)
            self.walk(root, raw, root)
        else:
            # A file named on the command line: its root is the directory that holds it.
            self.candidate(raw, raw, os.path.realpath(os.path.dirname(os.path.abspath(raw))))

    def walk(self, real_dir: str, name_dir: str, root: str) -> None:
        stack = [(real_dir, name_dir)]
        visited: set[str] = set()
        while stack and not self.full:
            real, name = stack.pop()
            if real in visited:
                continue
            visited.add(real)
            try:
                entries = sorted(os.scandir(real), key=lambda e: e.name)
            except OSError as exc:
                self.problem(f"cannot read directory: {_oserror(exc)}", name)
                continue
            subdirs: list[tuple[str, str]] = []
            for entry in entries:
                if self.full:
                    return
                if entry.name.startswith(".") or entry.name in SKIP_DIRS or entry.name.endswith(SKIP_SUFFIXES):
                    continue
                entry_name = os.path.join(name, entry.name)
                if entry.is_symlink():
                    target = self.resolve(entry.path, entry_name, root, manifest=entry.name.endswith(SUFFIXES))
                    if target is None:
                        continue
                    if os.path.isdir(target):
                        subdirs.append((target, entry_name))
                    elif entry.name.endswith(SUFFIXES):
                        self.read(target, entry_name)
                elif entry.is_dir(follow_symlinks=False):
                    subdirs.append((entry.path, entry_name))
                elif entry.name.endswith(SUFFIXES):
                    self.read(entry.path, entry_name)
            stack.extend(reversed(subdirs))

    def resolve(self, path: str, name: str, root: str, manifest: bool) -> str | None:
        """The symlink's target when it may be followed; otherwise None (with a problem when it matters)."""
        try:
            target = os.path.realpath(path, strict=True)
        except (OSError, RuntimeError) as exc:
            if manifest:
                loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
                self.problem("symlink loop" if loop else "broken symlink: its target does not exist", name)
            return None
        if not _inside(target, root):
            if manifest or os.path.isdir(target):
                self.problem(f"symlink points outside the manifest directory (to {shown(target)}); only "
                             "links that stay inside it are followed", name)
            return None
        return target

    def candidate(self, path: str, name: str, root: str) -> None:
        target = self.resolve(path, name, root, manifest=True) if os.path.islink(path) else path
        if target is not None:
            self.read(target, name)

    def read(self, path: str, name: str) -> None:
        if _UNPRINTABLE.search(name) or name != shown(name):
            self.problem("file name contains control characters or bytes that are not UTF-8; rename it", name)
            return
        real = os.path.realpath(path)
        if real in self.seen:
            return  # the same file reached twice (directly and through a link inside the root)
        self.seen.add(real)
        self.count += 1
        if self.count > MAX_FILES:
            self.problem(f"more than {MAX_FILES} manifest files; refusing to read more", name)
            self.full = True
            return
        data = read_capped(real, name, min(MAX_FILE_BYTES, self.left), self.problems)
        if data is None:
            return
        if len(data) > self.left:
            self.problem(f"the manifests are larger than {MAX_TOTAL_BYTES // (1024 * 1024)} MiB in total; "
                         "refusing to read more", name)
            self.full = True
            return
        self.left -= len(data)
        self.files.append(SourceFile(name, data))


def read_capped(path: str, name: str, cap: int, problems: list[Problem]) -> bytes | None:
    """The bytes of the regular file `path`, reading at most `cap` + 1 bytes; None with a problem otherwise."""
    def problem(message: str) -> None:
        problems.append(Problem(message, file=shown(name)))

    try:
        before = os.lstat(path)
        if not stat.S_ISREG(before.st_mode):
            problem(f"not a regular file ({_what(before.st_mode)}); manifests must be plain files")
            return None
        if before.st_size > MAX_FILE_BYTES:
            problem(f"file is larger than {MAX_FILE_BYTES // 1024} KiB ({before.st_size} bytes)")
            return None
        # O_NONBLOCK: should the file have been swapped for a FIFO since lstat, open does not block.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        problem(f"cannot read file: {_oserror(exc)}")
        return None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            problem("the file changed while it was being opened; not read")
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = os.read(fd, min(65536, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        problem(f"cannot read file: {_oserror(exc)}")
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        problem(f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
        return None
    return data


def _oserror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_tree(paths: Iterable[str]) -> tuple[list[SourceFile], list[Problem]]:
    """Every `*.yaml`/`*.yml`/`*.json` under `paths` (files or directories), read safely, in a stable order. When a
    limit on the whole set was hit, no file is returned: the set is refused as a whole, without parsing."""
    reader = _Reader()
    for raw in paths:
        if reader.full:
            break
        reader.path(raw)
    return ([] if reader.full else reader.files), reader.problems
