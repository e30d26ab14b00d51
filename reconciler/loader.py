"""Files on disk to a validated set of manifests, or a `ManifestError` listing every problem at once.

Steps (reconciler.loading): read the `*.yaml`/`*.yml`/`*.json` files under the given paths safely (regular files
inside the roots only, size caps: `loading.files`); parse each (several documents per file, YAML 1.2,
standard tags only, depth and alias limits, duplicate keys refused: `loading.yamldoc`; JSON is read as the
YAML 1.2 it is, one object or an array of them per file); substitute
`${VAR}` from `--var` and the allowed environment (`reconciler.variables`); validate each document
against its kind's model and every rule AWS documents (`loading.documents`, `reconciler.validation`);
then duplicates, references and cycles across manifests. Every problem names `file:line:col`, the
document and the field path. Nothing here talks to AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.errors import ManifestError, Problem
from reconciler.loading import documents, files, yamldoc
from reconciler.model.keys import Kind, ResourceKey
from reconciler.model.manifest import Manifest
from reconciler.model.sensitive import is_sensitive_name
from reconciler.validation.references import check_set
from reconciler.variables import VariableError, Variables

MAX_FILE_BYTES = files.MAX_FILE_BYTES
MAX_TOTAL_BYTES = files.MAX_TOTAL_BYTES
MAX_NODES = yamldoc.MAX_NODES
MAX_DEPTH = yamldoc.MAX_DEPTH
MAX_PROBLEMS = 1000  # listed at most; a file of 100,000 broken documents must not flood a CI log


@dataclass(frozen=True)
class ManifestSet:
    manifests: tuple[Manifest, ...]
    files: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()  # e.g. an unknown reconciler.io/ annotation: shown, changes nothing
    variables: Mapping[str, str] = field(default_factory=dict)  # the variables substituted, and their values

    def by_key(self) -> dict[ResourceKey, Manifest]:
        return {m.key: m for m in self.manifests}

    def of_kind(self, kind: Kind) -> list[Manifest]:
        return [m for m in self.manifests if m.kind is kind]

    def sensitive_values(self) -> list[str]:
        """The values of the secret-looking variables substituted (longest first), for output to mask
        wherever they ended up (a `${DB_PASSWORD}` can be written into any field)."""
        return sensitive_values(self.variables)


MASK = "(sensitive)"


def sensitive_values(variables: Mapping[str, str]) -> list[str]:
    values = {v for name, v in variables.items() if v and is_sensitive_name(name)}
    return sorted(values, key=lambda v: (-len(v), v))


def _masked(problems: list[Problem], hidden: list[str]) -> list[Problem]:
    """Problems with secret variable values masked: an error message may quote a value (`got '...'`)."""
    out = []
    for problem in problems:
        message = problem.message
        for value in hidden:
            message = message.replace(value, MASK)
        out.append(replace(problem, message=message) if message != problem.message else problem)
    return out


def load(paths: Iterable[str], variables_: Mapping[str, str] | Variables | None = None,
         allow_empty: bool = False) -> ManifestSet:
    """Load and validate every manifest under `paths`; raise ManifestError with all problems.
    `variables_`: a Variables, or --var values (then the environment is read as Variables.from_process
    does). An empty set is an error unless `allow_empty` (pruning an empty set deletes everything we own)."""
    paths = list(paths)
    source = variables_ if isinstance(variables_, Variables) else Variables.from_process(variables_)
    used: dict[str, str] = {}

    def substitute(text: str) -> str:
        return source.substitute(text, used)

    sources, problems = files.read_tree(paths)
    warnings: list[Problem] = []
    loaded: list[tuple[Manifest, yamldoc.Document]] = []
    for source_file in sources:
        if len(problems) > MAX_PROBLEMS:
            break  # enough to list: the rest is not even parsed
        loaded.extend(_load_file(source_file, substitute, problems, warnings))
    manifests = [m for m, _ in loaded]
    if allow_empty and not manifests and not problems:
        pass
    elif not sources and not problems:
        problems.append(Problem("no manifests (*.yaml, *.yml, *.json) found", file=", ".join(paths) or "."))
    elif sources and not manifests and not problems:
        problems.append(Problem("the files hold no manifest documents", file=", ".join(paths)))
    problems.extend(_duplicates(manifests))
    # References are checked only on a complete set: a document that failed to load is not "missing".
    if not problems:
        documents_of = {id(m): doc for m, doc in loaded}
        for issue in check_set(manifests):
            m = issue.manifest
            line, column = documents_of[id(m)].locate(("spec", *issue.path)) if issue.path else \
                (m.source.line, m.source.column)
            problems.append(Problem(issue.message, file=m.source.file, line=line, column=column,
                                    document=str(m.key),
                                    path=documents.field_path(("spec", *issue.path)) if issue.path else None))
    hidden = sensitive_values(used)
    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], Problem(f"…and more: only the first {MAX_PROBLEMS} problems are "
                                                          "listed (loading stopped there)", file=", ".join(paths))]
        raise ManifestError(_masked(problems, hidden), _masked(warnings[:MAX_PROBLEMS], hidden))
    return ManifestSet(tuple(manifests), tuple(f.name for f in sources), tuple(_masked(warnings, hidden)), used)


SAVED_PLAN_FORMAT = "reconciler-plan/v1"  # (savedplan.FORMAT: a saved plan kept beside the manifests is no manifest)


def _roots(name: str, parsed: Iterable[tuple[int, yamldoc.Node | None]],
           warnings: list[Problem]) -> Iterator[tuple[int, yamldoc.Node]]:
    """The documents of a file. YAML: one per `---` section. JSON (the same documents, as many users keep task
    definitions as JSON): one object, or an array of them; a JSON file that holds no manifest at all (no
    `apiVersion`, e.g. a saved plan or another tool's file in the same directory) is skipped, with a warning
    unless it is a saved plan."""
    json_file = name.endswith(".json")
    for index, root in parsed:
        if root is None or (isinstance(root, yamldoc.Scalar) and root.value is None):
            continue  # an empty document between `---` separators
        if not json_file:
            yield index, root
            continue
        items = root.items if isinstance(root, yamldoc.Sequence) else [root]
        if not any(_key(item, "apiVersion") is not None for item in items):
            if _key(root, "format") != SAVED_PLAN_FORMAT:
                line, column = root.position
                warnings.append(Problem("not a manifest (no apiVersion in it): skipped", file=name, line=line,
                                        column=column))
            continue
        yield from enumerate(items)


def _check_json(text: str) -> None:
    """JSON syntax, strictly (YAML would read `{"kind": }` as a null kind): YamlError with the place."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise yamldoc.YamlError(f"invalid JSON: {exc.msg}", (exc.lineno, exc.colno)) from None
    except RecursionError:
        raise yamldoc.YamlError(f"invalid JSON: nested more than {yamldoc.MAX_DEPTH} levels deep") from None


def _key(node: yamldoc.Node, key: str) -> Any:
    """The scalar value of `key` in a mapping node (None when absent or not a scalar)."""
    if isinstance(node, yamldoc.Mapping):
        for k, v in node.pairs:
            if k.value == key and isinstance(v, yamldoc.Scalar):
                return v.value if v.value is not None else ""
    return None


def _load_file(source: files.SourceFile, substitute: yamldoc.Substitute, problems: list[Problem],
               warnings: list[Problem]) -> list[tuple[Manifest, yamldoc.Document]]:
    def variable(text: str) -> str:
        try:
            return substitute(text)
        except VariableError as exc:
            raise ValueError(str(exc)) from None

    out: list[tuple[Manifest, yamldoc.Document]] = []
    try:
        text = yamldoc.decode(source.data)
        if source.name.endswith(".json"):
            _check_json(text)
        for index, root in _roots(source.name, yamldoc.parse(text), warnings):
            doc = yamldoc.to_document(index, root, variable)
            manifest = documents.to_manifest(source.name, doc, problems, warnings)
            if manifest is not None:
                out.append((manifest, doc))
            if len(problems) > MAX_PROBLEMS:
                break
    except yamldoc.YamlError as exc:
        line, column = exc.position if exc.position else (None, None)
        problems.append(Problem(exc.message, file=source.name, line=line, column=column))
        return []
    return out


def _duplicates(manifests: list[Manifest]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[ResourceKey, Manifest] = {}
    for m in manifests:
        if m.key in seen:
            first = seen[m.key]
            problems.append(Problem(f"duplicate {m.kind.value} {m.name!r}; first defined at {first.source}",
                                    file=m.source.file, line=m.source.line, column=m.source.column,
                                    document=str(m.key)))
        else:
            seen[m.key] = m
    return problems
