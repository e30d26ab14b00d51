"""The sandbox is an extra: `pip install reconciler` has no moto, `pip install 'reconciler[sandbox]'` adds it.

"Without the extra" is simulated truthfully: a path entry shadows ``moto`` with a package whose import fails
exactly as a missing module does, and the real `reconciler` command runs on top of it."""

from __future__ import annotations

import importlib.metadata
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import reconciler

from ..conftest import MANIFESTS, ROOT
from ..sandbox_process import CLI

INSTALL = "pip install 'reconciler[sandbox]'"
SANDBOX_ONLY = {"moto", "flask", "werkzeug", "flask-cors", "responses"}


@pytest.fixture
def without_moto(tmp_path: Path) -> dict[str, str]:
    shadow = tmp_path / "shadow" / "moto"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        'raise ModuleNotFoundError("No module named \'moto\'", name="moto")\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONPATH=str(shadow.parent), NO_COLOR="1", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize("args", [("plan", str(MANIFESTS), "--sandbox"), ("apply", str(MANIFESTS), "--sandbox"),
                                  ("sandbox", "--port", "0")], ids=["plan", "apply", "sandbox"])
def test_sandbox_without_the_extra_exits_1_with_the_install_command(without_moto: dict[str, str],
                                                                     args: tuple[str, ...]) -> None:
    result = run(without_moto, *args)
    assert result.returncode == 1, result.stderr
    assert f"error: the sandbox is not installed (no module 'moto'); install it with: {INSTALL}" in (
        result.stderr.splitlines())
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_product_works_without_the_extra(without_moto: dict[str, str]) -> None:
    assert run(without_moto, "validate", str(MANIFESTS)).returncode == 0
    assert run(without_moto, "--help").returncode == 0
    modules = [m.name for m in pkgutil.walk_packages(reconciler.__path__, "reconciler.")
               if not m.name.startswith(("reconciler.sandbox", "reconciler.__main__"))]
    script = (f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
              "assert not [m for m in sys.modules if m.split('.')[0] in ('moto', 'flask', 'werkzeug')]\n")
    result = subprocess.run([sys.executable, "-c", script], env=without_moto, capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def _closure(requirements: list[str], extra: str = "") -> set[str]:
    """The distributions installing ``requirements`` (with ``extra``) pulls in, extras only where asked for."""
    seen: set[str] = set()
    todo = [(Requirement(r), extra) for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = requirement.name.lower().replace("_", "-")
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            nested = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [(Requirement(r), e) for r in nested for e in ["", *sorted(requirement.extras)]]
    return {key.split("[")[0] for key in seen}


def test_a_plain_install_pulls_in_no_moto() -> None:
    declared = importlib.metadata.requires("reconciler") or []
    plain = _closure(declared)
    assert plain and not plain & SANDBOX_ONLY, sorted(plain & SANDBOX_ONLY)
    assert {"moto", "flask", "werkzeug"} <= _closure(declared, "sandbox")


def test_the_container_image_installs_the_plain_wheel() -> None:
    """The Dockerfile builds the wheel of `.` and installs that wheel: no extra, so no moto in the image."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip (?:install|wheel)[^\n\\]*", dockerfile)
    assert any("wheel" in line and line.rstrip().endswith(" .") for line in installs), installs
    assert any("/wheels/*.whl" in line for line in installs), installs
    assert not any("[" in line or "moto" in line for line in installs), installs
    assert "sandbox" not in re.sub(r"#.*", "", dockerfile)
