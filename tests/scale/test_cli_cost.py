"""What a command costs, as a user sees it: `-v` prints the AWS calls by operation on stderr (stdout stays the
result), and the cost options are checked like any input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ..conftest import MANIFESTS
from ..hostile.conftest import main_inprocess


def test_verbose_prints_the_calls_by_operation_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    run = main_inprocess(["plan", str(MANIFESTS), "--sandbox", "-o", "json", "-v"], capsys)
    assert run.code == 0, run.err
    assert json.loads(run.out)["hasChanges"] is True  # stdout: the plan only
    summary = re.search(r"^AWS calls: (\d+) in [\d.]+s \((\d+) HTTP attempts, 0 throttled and retried", run.err,
                        re.MULTILINE)
    assert summary is not None, run.err
    rows = dict(re.findall(r"^  ([a-z0-9]+\.[A-Za-z]+)\s+(\d+)$", run.err, re.MULTILINE))
    assert rows["ecs.DescribeClusters"] == "1"
    assert sum(int(n) for n in rows.values()) == int(summary.group(1))


def test_without_verbose_stderr_has_no_table(capsys: pytest.CaptureFixture[str]) -> None:
    run = main_inprocess(["plan", str(MANIFESTS), "--sandbox"], capsys)
    assert run.code == 0
    assert "AWS calls:" not in run.err


@pytest.mark.parametrize(("args", "message"), [
    (["--aws-rate-share", "2"], "--aws-rate-share/RECONCILER_AWS_RATE_SHARE: '2' is not a share"),
    (["--aws-rate-share", "lots"], "--aws-rate-share/RECONCILER_AWS_RATE_SHARE: not a number: 'lots'"),
    (["--aws-concurrency", "0"], "--aws-concurrency/RECONCILER_AWS_CONCURRENCY: '0': give a number"),
    (["--aws-concurrency", "x"], "--aws-concurrency/RECONCILER_AWS_CONCURRENCY: not a whole number: 'x'"),
])
def test_bad_cost_options_are_errors_without_a_traceback(capsys: pytest.CaptureFixture[str], args: list[str],
                                                          message: str) -> None:
    run = main_inprocess(["plan", str(MANIFESTS), "--sandbox", *args], capsys)
    assert run.code == 1
    assert f"error: {message}" in run.err and "Traceback" not in run.err


def test_an_ephemeral_sandbox_keeps_no_cache(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """(Nothing could reuse it. --cache-dir itself: tests/scale/test_cache.py, against a sandbox process.)"""
    run = main_inprocess(["plan", str(MANIFESTS), "--sandbox", "--cache-dir", str(tmp_path / "c")], capsys)
    assert run.code == 0 and not (tmp_path / "c").exists()
