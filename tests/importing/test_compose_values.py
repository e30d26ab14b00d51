"""Compose values in ECS units, and compose interpolation as manifest variables (pure functions)."""

from __future__ import annotations

import pytest

from reconciler import variables
from reconciler.importing import compose_values as v


@pytest.mark.parametrize(("value", "mib"), [("512m", 512), ("512M", 512), (536870912, 512), ("1g", 1024),
                                            ("1.5GB", 1536), ("262144k", 256), ("1073741824b", 1024)])
def test_memory_in_mib_from_docker_units(value, mib):
    assert v.memory_mib(value) == mib


def test_task_size_memory_without_unit_is_mib():
    assert v.memory_mib("512", default_unit="m") == 512
    assert v.memory_mib("2GB", default_unit="m") == 2048
    with pytest.raises(ValueError, match="not a memory size"):
        v.memory_mib("lots")


@pytest.mark.parametrize(("value", "seconds"), [("30s", 30), ("1m30s", 90), ("500ms", 1), ("2.5s", 3), (10, 10),
                                                ("1h", 3600), ("45", 45)])
def test_durations_in_whole_seconds(value, seconds):
    assert v.duration_seconds(value) == seconds


def test_bad_duration():
    with pytest.raises(ValueError, match="not a duration"):
        v.duration_seconds("soon")


def test_cpus_are_cpu_units():
    assert v.cpu_units("0.5") == 512 and v.cpu_units(2) == 2048


def test_ports_short_and_long_syntax():
    assert v.ports("80") == [v.Port(80, None)]
    assert v.ports("8080:80") == [v.Port(80, 8080)]
    assert v.ports("127.0.0.1:53:53/udp") == [v.Port(53, 53, "udp", "127.0.0.1")]
    assert v.ports("[::1]:8080:80") == [v.Port(80, 8080, "tcp", "::1")]
    assert v.ports("9000-9001:8000-8001") == [v.Port(8000, 9000), v.Port(8001, 9001)]
    assert v.ports({"target": 80, "published": "8080", "protocol": "tcp", "name": "web", "app_protocol": "http"}) \
        == [v.Port(80, 8080, "tcp", None, "web", "http")]
    with pytest.raises(ValueError, match="cannot read port"):
        v.ports("a:b:c:d")


def test_mounts():
    assert v.mount("db:/var/lib/mysql") == v.Mount("volume", "db", "/var/lib/mysql")
    assert v.mount("./src:/app:ro") == v.Mount("bind", "./src", "/app", True)
    assert v.mount("/data") == v.Mount("volume", None, "/data")
    assert v.mount({"type": "bind", "source": "/etc/x", "target": "/x", "read_only": True}) == \
        v.Mount("bind", "/etc/x", "/x", True)


def test_env_file_syntax():
    text = 'A=1\n# comment\n\nexport B="two\\nlines"\nC\nD=x # note\nE=\'a # b\'\n'
    assert v.env_file(text) == [(1, "A", "1"), (4, "B", "two\nlines"), (5, "C", None), (6, "D", "x"),
                                (7, "E", "a # b")]


@pytest.mark.parametrize(("compose", "manifest", "literal"), [
    ("${A}", "${A}", "a"),
    ("$A and $$B", "${A} and $B", "a and $B"),
    ("${A:-x y}", "${A:-x y}", "a"),
    ("${A:?must be set}", "${A}", "a"),
    ("$${LITERAL}", "$${LITERAL}", "${LITERAL}"),
    ("100%", "100%", "100%"),
])
def test_interpolation_becomes_manifest_variables(compose, manifest, literal):
    """What the loader then reads (with A=a) is what compose would have run."""
    converted, warnings = v.interpolate(compose)
    assert (converted, warnings) == (manifest, [])
    assert variables.substitute(converted, {"A": "a"}) == literal


def test_interpolation_without_an_exact_equivalent_is_warned():
    converted, warnings = v.interpolate("${A-x} ${B:+y}")
    assert converted == "${A:-x} $${B:+y}"  # the literal text, escaped for the loader
    assert warnings == ["${A-...} is read as ${A:-...} (the default also applies when A is set but empty)",
                        "${B:+...} (alternative value) has no equivalent: kept as literal text"]


def test_health_checks():
    assert v.health_check({"test": "curl -f localhost", "interval": "10s", "start_period": "1m"}) == {
        "command": ["CMD-SHELL", "curl -f localhost"], "interval": 10, "startPeriod": 60}
    assert v.health_check({"test": ["CMD", "true"], "retries": 3}) == {"command": ["CMD", "true"], "retries": 3}
    assert v.health_check({"test": ["NONE"]}) is None
    assert v.health_check({"disable": True}) is None
    with pytest.raises(ValueError, match="must start with CMD"):
        v.health_check({"test": ["curl"]})
