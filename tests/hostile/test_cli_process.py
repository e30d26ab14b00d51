"""The worst inputs through the `reconciler` command as a user runs it (a separate process): it returns
(reads are bounded, nothing blocks on a FIFO or reads /dev/zero), exits 1, prints no traceback, and no
request reaches the AWS endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cases import CASES
from .conftest import Recorder, run_process

WORST = ["F-fifo", "F-symlink-dev-zero", "Y-deep-flow-nesting", "Y-alias-bomb", "E-not-utf8",
         "Y-python-object-apply", "X-aws-secret-key", "R-fargate-cpu-memory"]


@pytest.mark.parametrize("case_id", WORST)
def test_worst_inputs_through_the_command(case_id: str, tmp_path: Path, recorder: Recorder,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES if c.id == case_id)
    target = case.make(tmp_path)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    run = run_process(["plan", str(target)], recorder, tmp_path)
    assert run.code == 1, run.err
    assert case.expect in run.err
    assert "Traceback" not in run.err and run.out == ""
    assert recorder.requests == []


def test_a_file_named_on_the_command_line_is_held_to_the_same_rules(tmp_path: Path, recorder: Recorder) -> None:
    """`reconciler plan x.yaml` where x.yaml is a FIFO or a link to /dev/zero: refused, not read."""
    import os

    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    run = run_process(["apply", str(tmp_path / "pipe.yaml"), str(tmp_path / "zero.yaml")], recorder, tmp_path)
    assert run.code == 1 and "Traceback" not in run.err
    assert "pipe.yaml: not a regular file (a FIFO" in run.err
    assert "zero.yaml: symlink points outside the manifest directory (to /dev/zero)" in run.err
    assert recorder.requests == []
