"""An unknown reconciler.io/ annotation is a warning that people see wherever they look: validate (stderr),
plan in every format, and the controller's log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from reconciler.controller.loop import Controller, WatchSettings
from reconciler.controller.sources import DirectorySource
from reconciler.pipeline import PlanOptions

from .conftest import MANIFESTS
from .hostile.conftest import main_inprocess

HINT = "unknown annotation 'reconciler.io/adpot' is ignored; did you mean 'reconciler.io/adopt'?"


def typo(tmp_path: Path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    path = target / "cluster.yaml"
    path.write_text(path.read_text().replace("  name: demo\n", "  name: demo\n  annotations:\n"
                                                                "    reconciler.io/adpot: \"true\"\n"))
    return target


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    run = main_inprocess(list(args), capsys)
    return run.code, run.out, run.err


def test_validate_prints_the_warning_and_succeeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "validate", str(typo(tmp_path)))
    assert code == 0 and "1 warning(s) above" in out
    assert f"warning: {tmp_path}/m/cluster.yaml:8:5: Cluster/demo: metadata.annotations.reconciler.io/adpot: " \
           f"{HINT}" in err


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_plan_shows_the_warning_in_every_format(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                output: str) -> None:
    code, out, _ = cli(capsys, "plan", str(typo(tmp_path)), "-o", output)
    assert code == 0
    if output == "json":
        assert any(HINT in w for w in json.loads(out)["warnings"])
    else:
        assert HINT in out
    if output == "markdown":
        assert "#### Warnings" in out


def test_the_controller_logs_the_warning_once(aws: Any, tmp_path: Path) -> None:
    controller = Controller(DirectorySource([str(typo(tmp_path))]), aws,
                            WatchSettings(options=PlanOptions(), requeue=0.05, poll_seconds=0.05))
    with capture_logs() as logs:
        controller.reconcile_once("start")
        controller.reconcile_once("resync")
    warned = [e for e in logs if e["event"] == "Warning"]
    assert len(warned) == 1 and HINT in warned[0]["warning"]
