"""Docker Compose values in ECS units: memory (`512m` -> MiB), CPU (`cpus: 0.5` -> 512 units), durations
(`1m30s` -> 90 s), ports, volumes, key/value lists, env files, and compose's `${VAR}` interpolation turned
into the manifests' own `${VAR}` variables. Pure functions; errors are `ValueError` with a readable message.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.importing.secrets import escape

MIB = 1024 * 1024
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": MIB, "mb": MIB, "g": 1024 * MIB, "gb": 1024 * MIB,
          "t": 1024 * 1024 * MIB, "tb": 1024 * 1024 * MIB}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kmgt]?b?)\s*$", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_DURATION_FACTOR = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def memory_mib(value: Any, default_unit: str = "b") -> int:
    """Docker memory (`512m`, `1g`, `1073741824`; bytes when no unit) in MiB, as ECS wants it.
    `default_unit="m"` reads a bare number as MiB (ecs-params task_size)."""
    if isinstance(value, bool):
        raise ValueError(f"not a memory size: {value!r}")
    if isinstance(value, int | float):
        number, unit = float(value), default_unit
    else:
        match = _SIZE.match(str(value))
        if match is None:
            raise ValueError(f"not a memory size: {value!r} (use e.g. 512m, 1g)")
        number, unit = float(match.group(1)), (match.group(2).lower() or default_unit)
    return int(number * _UNITS[unit] // MIB)


def cpu_units(cpus: Any) -> int:
    """`cpus: 0.5` (cores) -> 512 CPU units."""
    try:
        value = float(cpus)
    except (TypeError, ValueError):
        raise ValueError(f"not a number of CPUs: {cpus!r}") from None
    return round(value * 1024)


def duration_seconds(value: Any) -> int:
    """A compose duration (`30s`, `1m30s`, `500ms`; a bare number is seconds) in whole seconds (rounded up)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return math.ceil(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return math.ceil(float(text))
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 1m30s)")
    return math.ceil(sum(float(n) * _DURATION_FACTOR[u] for n, u in parts))


@dataclass(frozen=True)
class Port:
    container: int
    host: int | None
    protocol: str = "tcp"
    host_ip: str | None = None
    name: str | None = None
    app_protocol: str | None = None


def _port_range(text: str) -> list[int | None]:
    if "-" in text:
        low, high = (int(p) for p in text.split("-", 1))
        if high < low or high - low > 100:
            raise ValueError(f"port range {text!r}: at most 100 ports, low to high")
        return list(range(low, high + 1))
    return [int(text)]


def ports(value: Any) -> list[Port]:
    """One compose `ports` entry (short `[[ip:]host:]container[/proto]` or long syntax) as port mappings."""
    if isinstance(value, Mapping):
        if "target" not in value:
            raise ValueError("a port in long syntax needs `target`")
        published = value.get("published")
        published_ports: list[int | None] = _port_range(str(published)) if published not in (None, "") else [None]
        target = int(value["target"])
        protocol_ = str(value.get("protocol", "tcp")).lower()
        if len(published_ports) == 1:
            return [Port(target, published_ports[0], protocol_, value.get("host_ip"), value.get("name"),
                         value.get("app_protocol"))]
        return [Port(target + i, h, protocol_) for i, h in enumerate(published_ports)]
    text = str(value).strip()
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
    host_ip = None
    if text.startswith("["):  # [::1]:8080:80
        end = text.index("]")
        host_ip, text = text[1:end], text[end + 2:]
    parts = text.split(":")
    if len(parts) == 3:
        host_ip, parts = parts[0], parts[1:]
    try:
        containers = [p for p in _port_range(parts[-1]) if p is not None]
        hosts: list[int | None] = _port_range(parts[0]) if len(parts) == 2 and parts[0] else [None] * len(containers)
    except ValueError as exc:
        raise ValueError(f"cannot read port {value!r}: {exc}") from None
    if len(parts) > 2 or len(hosts) != len(containers):
        raise ValueError(f"cannot read port {value!r} (use [[ip:]host:]container[/protocol])")
    return [Port(c, h, protocol.lower(), host_ip) for c, h in zip(containers, hosts, strict=True)]


@dataclass(frozen=True)
class Mount:
    kind: str  # volume (named or anonymous), bind, tmpfs
    source: str | None
    target: str
    read_only: bool = False
    tmpfs_size: int | None = None  # MiB


def mount(value: Any) -> Mount:
    """One service `volumes` entry, short (`src:dst[:ro]`, `dst`) or long syntax."""
    if isinstance(value, Mapping):
        kind = str(value.get("type", "volume"))
        if "target" not in value:
            raise ValueError("a volume in long syntax needs `target`")
        size = None
        tmpfs = value.get("tmpfs")
        if isinstance(tmpfs, Mapping) and tmpfs.get("size") is not None:
            size = memory_mib(tmpfs["size"])
        source = value.get("source")
        return Mount(kind, str(source) if source else None, str(value["target"]), bool(value.get("read_only")), size)
    parts = str(value).split(":")
    if len(parts) == 1:
        return Mount("volume", None, parts[0])
    source, target = parts[0], parts[1]
    modes = set(parts[2].split(",")) if len(parts) > 2 else set()
    kind = "bind" if source.startswith(("/", ".", "~")) or "/" in source else "volume"
    return Mount(kind, source, target, "ro" in modes)


def key_values(value: Any, separator: str = "=") -> dict[str, Any]:
    """`[K=V, K]` or `{K: V}` as a map (a key without value maps to None)."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    out: dict[str, Any] = {}
    for item in value or []:
        key, sep, rest = str(item).partition(separator)
        out[key] = rest if sep else None
    return out


def scalar_text(value: Any) -> str:
    """A YAML scalar as compose reads it into a string (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def command(value: Any) -> list[str]:
    """`command`/`entrypoint`: a string is split as a shell would (compose does), a list is taken as is."""
    if isinstance(value, list):
        return [scalar_text(v) for v in value]
    return shlex.split(str(value))


def env_file(text: str) -> list[tuple[int, str, str | None]]:
    """(line, key, value) of a compose env file: `KEY=VALUE`, quotes, `# comments`, `export KEY=...`; a key
    without `=` takes its value from the environment (None)."""
    out: list[tuple[int, str, str | None]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep:
            out.append((number, key, None))
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out.append((number, key, value))
    return out


# --- interpolation ----------------------------------------------------------------------------------------

_COMPOSE_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(text: str) -> tuple[str, list[str]]:
    """Compose's interpolation in `text` as the manifests' variables: `${VAR}`, `$VAR` and `${VAR:?err}` become
    `${VAR}`, `${VAR:-default}` stays, `$$` is a literal `$`; everything else is escaped as literal text.
    Returns the text and warnings for forms with no exact equivalent."""
    out: list[str] = []
    warnings: list[str] = []
    literal = ""
    position = 0
    for match in _COMPOSE_VARIABLE.finditer(text):
        literal += text[position:match.start()]
        position = match.end()
        if match.group("escaped"):
            literal += "$"
            continue
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg")
        if op in (None, "?", ":?"):
            variable = f"${{{name}}}"
        elif op in (":-", "-"):
            variable = f"${{{name}:-{arg}}}"
            if op == "-":  # (values are not repeated in warnings: a default may be a secret)
                warnings.append(f"${{{name}-...}} is read as ${{{name}:-...}} (the default also applies when "
                                f"{name} is set but empty)")
        else:
            warnings.append(f"${{{name}{op}...}} (alternative value) has no equivalent: kept as literal text")
            literal += match.group(0)
            continue
        if literal.endswith("$"):
            warnings.append(f"a literal $ right before {variable} cannot be written: check the value")
        out.append(escape(literal))
        literal = ""
        out.append(variable)
    literal += text[position:]
    out.append(escape(literal))
    return "".join(out), warnings


def health_check(value: Mapping[str, Any]) -> dict[str, Any] | None:
    """A compose (or ecs-params) `healthcheck` as an ECS container health check; None when disabled."""
    if value.get("disable") is True:
        return None
    test = value.get("test", value.get("command"))
    if test is None:
        raise ValueError("a healthcheck needs `test`")
    if isinstance(test, str):
        command_ = ["CMD-SHELL", test]
    else:
        command_ = [scalar_text(t) for t in test]
        if command_ and command_[0] == "NONE":
            return None
        if not command_ or command_[0] not in ("CMD", "CMD-SHELL"):
            raise ValueError(f"healthcheck test must start with CMD, CMD-SHELL or NONE, got {test!r}")
    out: dict[str, Any] = {"command": command_}
    for key, field in (("interval", "interval"), ("timeout", "timeout"), ("start_period", "startPeriod")):
        if value.get(key) is not None:
            out[field] = duration_seconds(value[key])
    if value.get("retries") is not None:
        out["retries"] = int(value["retries"])
    return out
