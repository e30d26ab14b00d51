"""Every hostile input (tests/hostile/cases.py) through the real command: validate, plan and apply exit 1
with a clear message naming the place, never a traceback, and no AWS request reaches the endpoint."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .cases import CASES, Case
from .conftest import Recorder, run_inprocess


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_offline(case: Case, tmp_path: Path, recorder: Recorder,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    target = case.make(tmp_path)
    for verb in ("validate", "plan", "apply"):
        run = run_inprocess([verb, str(target)], recorder, capsys, monkeypatch)
        assert run.code == 1, (verb, run.err)
        assert case.expect in run.err, (verb, run.err)
        assert "Traceback" not in run.err + run.out
        if case.where:
            assert f"m/{case.where}" in run.err, (verb, run.err)
    assert recorder.requests == [], "an AWS request was made for bad input"
    secret = case.env.get("AWS_SECRET_ACCESS_KEY", case.env.get("GITHUB_TOKEN"))
    if secret:
        assert secret not in run.err + run.out


def test_the_catalogue_is_large_and_covers_every_category() -> None:
    """At least 40 hostile inputs, in every category (see cases.py for the categories)."""
    categories = Counter(case.id.split("-")[0] for case in CASES)
    assert len(CASES) >= 90  # docs/reliability.md (section 5) counts them
    assert set(categories) == {"F", "E", "Y", "C", "X", "L", "R", "S"}
    assert len({case.id for case in CASES}) == len(CASES)
