"""Saved plans hold no secret and are private: mode 0600 from the start (also over an older file, whatever the
umask), secret-looking --var values left out (and asked for again by apply), secret variable values masked
in the plan body and kept out of the digests; a damaged file is a clean error."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler import savedplan
from reconciler.errors import ReconcilerError

from .conftest import MANIFESTS
from .hostile.conftest import main_inprocess

SECRET = "hunter2-6f1d"


def examples(tmp_path: Path) -> Path:
    """The examples, with a container variable that carries ${DB_PASSWORD} (under a name that does not look
    secret, so only the variable's own name tells)."""
    target = tmp_path / "m"
    shutil.copytree(MANIFESTS, target)
    path = target / "web-taskdef.yaml"
    text = path.read_text()
    assert "        - name: APP_ENV\n" in text
    path.write_text(text.replace("        - name: APP_ENV\n",
                                 "        - name: GREETING\n          value: hello-${DB_PASSWORD}\n"
                                 "        - name: APP_ENV\n"))
    return target


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    run = main_inprocess(list(args), capsys)
    return run.code, run.out, run.err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_saved_plan_is_private_and_holds_no_secret(aws: Any, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    m, out = examples(tmp_path), tmp_path / "plan.json"
    out.write_text("old, world-readable\n")
    out.chmod(0o644)
    code, _, err = cli(capsys, "plan", str(m), "--out", str(out), "--var", f"DB_PASSWORD={SECRET}",
                       "--var", "IMAGE_TAG=1.0.0")
    assert code == 0, err
    assert mode(out) == 0o600
    text = out.read_text()
    assert SECRET not in text
    doc = json.loads(text)
    assert doc["sensitiveVariables"] == ["DB_PASSWORD"] and doc["variables"] == {"IMAGE_TAG": "1.0.0"}
    assert "hello-(sensitive)" in text  # masked in the plan body, though GREETING does not look secret
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.json")] == []  # no temporary left


def test_apply_asks_for_the_secret_again(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m, out = examples(tmp_path), tmp_path / "plan.json"
    assert cli(capsys, "plan", str(m), "--out", str(out), "--var", f"DB_PASSWORD={SECRET}")[0] == 0
    code, _, err = cli(capsys, "apply", str(out))
    assert code == 1 and "Traceback" not in err
    assert "was made with --var DB_PASSWORD, whose value is not stored in the file" in err
    assert f"reconciler apply {out} --var DB_PASSWORD=..." in err
    assert aws.clients.mutations.calls == []
    code, _, err = cli(capsys, "apply", str(out), "--var", f"DB_PASSWORD={SECRET}", "--var", "IMAGE_TAG=9")
    assert code == 1 and "stale: the manifests changed" in err  # a variable plan did not have changes the manifests
    assert aws.clients.mutations.calls == []
    code, out_text, err = cli(capsys, "apply", str(out), "--var", f"DB_PASSWORD={SECRET}", "--no-wait")
    assert code == 0, out_text + err
    assert "Applying the saved plan" in out_text
    found = aws.ecs.describe_task_definition("web")
    assert found is not None
    env = found[0]["containerDefinitions"][0]["environment"]
    assert {"name": "GREETING", "value": f"hello-{SECRET}"} in env


def test_a_conflicting_var_is_refused(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m, out = examples(tmp_path), tmp_path / "plan.json"
    assert cli(capsys, "plan", str(m), "--out", str(out), "--var", "DB_PASSWORD=x", "--var", "IMAGE_TAG=1.0.0")[0] == 0
    code, _, err = cli(capsys, "apply", str(out), "--var", "DB_PASSWORD=x", "--var", "IMAGE_TAG=2.0.0")
    assert code == 1 and "--var IMAGE_TAG differs from the value" in err


def test_allow_env_patterns_travel_with_the_plan(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan made with --allow-env APP_ENV is applied reading APP_ENV the same way."""
    m, out = examples(tmp_path), tmp_path / "plan.json"
    monkeypatch.setenv("APP_ENV", "staging")
    assert cli(capsys, "plan", str(m), "--out", str(out), "--var", "DB_PASSWORD=x", "--allow-env", "APP_ENV")[0] == 0
    assert json.loads(out.read_text())["allowEnv"] == ["APP_ENV"]
    code, _, err = cli(capsys, "apply", str(out), "--var", "DB_PASSWORD=x", "--no-wait")
    assert code == 0, err


def test_a_symlink_at_the_out_path_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "plan.json"
    link.symlink_to(victim)
    savedplan.write_private(str(link), "{}\n")
    assert victim.read_text() == "keep me\n"
    assert not link.is_symlink() and mode(link) == 0o600


def test_the_file_is_never_readable_by_others_even_with_umask_0(tmp_path: Path) -> None:
    """Watch the directory while writing: every file that appears is 0600 already."""
    seen: set[int] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for entry in os.scandir(tmp_path):
                with contextlib.suppress(FileNotFoundError):
                    seen.add(stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode))

    old = os.umask(0)
    thread = threading.Thread(target=watch)
    thread.start()
    try:
        for _ in range(50):
            savedplan.write_private(str(tmp_path / "plan.json"), "x" * 100_000)
    finally:
        stop.set()
        thread.join()
        os.umask(old)
    assert seen == {0o600}


def test_an_unwritable_place_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(ReconcilerError) as info:
        savedplan.write_private(str(tmp_path / "no-such-dir" / "plan.json"), "{}")
    assert "cannot write the saved plan" in str(info.value)


@pytest.mark.parametrize(("content", "expected"), [
    ('{"format": "reconciler-plan/v1"}', "'paths' is missing"),
    ('{"format": "reconciler-plan/v1", "paths": "m", "manifestsDigest": "a", "planDigest": "b"}', "not a list"),
    ('{"format": "reconciler-plan/v1", "paths": [1], "manifestsDigest": "a", "planDigest": "b"}', "must be strings"),
    ('["a list"]', "not an object"),
    ('{"format": "other"}', "not a saved plan"),
    ("not json", "not JSON"),
])
def test_damaged_saved_plans_are_clean_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(ReconcilerError) as info:
        savedplan.read(str(path))
    assert expected in str(info.value)


def test_a_damaged_saved_plan_through_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format": "reconciler-plan/v1", "paths": ["x"]}')
    code, _, err = cli(capsys, "apply", str(path))
    assert code == 1 and "a damaged saved plan ('manifestsDigest' is missing)" in err and "Traceback" not in err


def test_masking_covers_known_secret_values_in_any_string() -> None:
    """A secret variable's value written into a field whose name does not look secret is still redacted from
    the saved plan body (values of at least MIN_REDACT_LENGTH characters; shorter ones by name only)."""
    from reconciler.planning.mask import Masker

    body = {"a": ["x-hunter2-secret-y", {"b": "hunter2-secret"}], "c": True, "d": 1234.5}
    assert Masker().remember(["hunter2-secret"]).value(body) == {
        "a": ["x-(sensitive)-y", {"b": "(sensitive)"}], "c": True, "d": 1234.5}


def test_a_plan_made_with_a_relative_path_applies(aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan m --out plan.json` (relative), then `apply plan.json`: the saved plan reads the same files by
    their absolute path, which must not make it look stale (the plan's `source` fields and warnings name
    the files the way they were given)."""
    m = examples(tmp_path)
    cluster = m / "cluster.yaml"
    cluster.write_text(cluster.read_text().replace("  name: demo\n", "  name: demo\n  annotations:\n"
                                                                     "    reconciler.io/adpot: \"true\"\n"))
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "plan", "m", "--out", "plan.json", "--var", "DB_PASSWORD=x")[0] == 0
    code, out, err = cli(capsys, "apply", "plan.json", "--var", "DB_PASSWORD=x", "--no-wait")
    assert code == 0, out + err
