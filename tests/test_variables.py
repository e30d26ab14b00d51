"""${VAR} substitution: --var first, the environment only as far as the allowlist lets it, secrets only by
exact name, an error (naming the variable and how to allow it) rather than a silent default."""

from __future__ import annotations

import pytest

from reconciler.variables import (
    DEFAULT_ALLOW_ENV,
    NotAllowedError,
    UnsetVariableError,
    VariableError,
    Variables,
    check_patterns,
)

ENV = {"AWS_REGION": "eu-west-1", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "AWS_ACCESS_KEY_ID": "AKIA...",
       "AWS_SESSION_TOKEN": "tok", "GITHUB_TOKEN": "ghp", "IMAGE_TAG": "1.2.3", "WEB_IMAGE_TAG": "4.5.6",
       "APP_ENV": "prod", "APP_DB_PASSWORD": "pw", "HOME": "/root"}


def sub(text: str, allow: tuple[str, ...] = DEFAULT_ALLOW_ENV, given: dict[str, str] | None = None) -> str:
    return Variables(given or {}, ENV, allow).substitute(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("${AWS_REGION}", "eu-west-1"),
    ("${IMAGE_TAG}", "1.2.3"),
    ("web:${WEB_IMAGE_TAG}", "web:4.5.6"),
    ("${UNSET_THING:-fallback}", "fallback"),
    ("${UNSET_THING:-}", ""),
    ("$${HOME}", "${HOME}"),
    ("$${1:=x}", "${1:=x}"),
    ("no variables", "no variables"),
    ("$HOME stays", "$HOME stays"),
])
def test_defaults_allow_region_account_and_image_tags(text: str, expected: str) -> None:
    assert sub(text) == expected


@pytest.mark.parametrize("name", ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "GITHUB_TOKEN",
                                  "APP_ENV", "HOME"])
def test_what_is_not_allowed_is_an_error_even_with_a_default(name: str) -> None:
    """Set in the environment, not allowed: an error naming the variable and both ways to allow it, never
    the default (that would apply something else than the environment says)."""
    with pytest.raises(NotAllowedError) as info:
        sub(f"${{{name}:-fallback}}")
    assert f"${{{name}}}" in str(info.value)
    assert f"--var {name}=VALUE" in str(info.value) and f"--allow-env {name}" in str(info.value)
    assert "RECONCILER_ALLOW_ENV" in str(info.value)


@pytest.mark.parametrize("pattern", ["*", "AWS_*", "*_KEY", "*TOKEN*", "GITHUB_?OKEN", "APP_*"])
def test_globs_never_reach_secret_looking_names(pattern: str) -> None:
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "GITHUB_TOKEN",
                 "APP_DB_PASSWORD"):
        with pytest.raises(NotAllowedError) as info:
            sub(f"${{{name}}}", (*DEFAULT_ALLOW_ENV, pattern))
        assert "named exactly" in str(info.value)


def test_a_secret_is_read_only_when_named_exactly() -> None:
    assert sub("${GITHUB_TOKEN}", ("GITHUB_TOKEN",)) == "ghp"
    assert sub("${APP_DB_PASSWORD}", ("APP_DB_PASSWORD",)) == "pw"


def test_globs_allow_other_names() -> None:
    assert sub("${APP_ENV}", ("APP_*",)) == "prod"
    assert sub("${HOME}", ("*",)) == "/root"


def test_given_values_win_and_are_always_allowed() -> None:
    assert sub("${AWS_SECRET_ACCESS_KEY}", (), {"AWS_SECRET_ACCESS_KEY": "given"}) == "given"
    assert sub("${AWS_REGION}", (), {"AWS_REGION": "ap-south-1"}) == "ap-south-1"


def test_unset_without_default_is_an_error() -> None:
    with pytest.raises(UnsetVariableError) as info:
        sub("${NOWHERE}")
    assert "${NOWHERE} is not set and has no default" in str(info.value)


@pytest.mark.parametrize("text", ["${1}", "${X-d}", "${X:=d}", "${}", "${X", "${ X }", "${X:?err}"])
def test_malformed_references_are_errors_not_passed_on(text: str) -> None:
    with pytest.raises(VariableError) as info:
        sub(text)
    assert "is not a variable reference" in str(info.value) and "$${" in str(info.value)


def test_the_values_used_are_collected() -> None:
    used: dict[str, str] = {}
    Variables({"DB_PASSWORD": "pw"}, ENV).substitute("${DB_PASSWORD}@${AWS_REGION}/${X:-y}", used)
    assert used == {"DB_PASSWORD": "pw", "AWS_REGION": "eu-west-1"}


def test_process_allowlist_comes_from_the_environment_and_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_ALLOW_ENV", "APP_*, SUBNET_A")
    monkeypatch.setenv("APP_ENV", "staging")
    monkeypatch.setenv("TEAM", "ops")
    monkeypatch.setenv("ZONE", "a")
    variables = Variables.from_process({}, ["TEAM", "ZONE,REGION_*"])
    assert variables.substitute("${APP_ENV}-${TEAM}-${ZONE}") == "staging-ops-a"
    assert variables.extra_allow == ("APP_*", "SUBNET_A", "TEAM", "ZONE", "REGION_*")


@pytest.mark.parametrize("pattern", ["A-B", "$(rm -rf)", "X[0-9]", "a b/c"])
def test_patterns_are_names_or_simple_globs(pattern: str) -> None:
    with pytest.raises(ValueError) as info:
        check_patterns([pattern])
    assert "--allow-env expects" in str(info.value)


def test_error_messages_never_quote_a_secret_variable(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest that writes ${DB_PASSWORD} where AWS wants a number: the error names the field, and the
    value it quotes is masked (the plan of a pull request is public)."""
    from reconciler import loader
    from reconciler.errors import ManifestError

    (tmp_path / "td.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: TaskDefinition\nmetadata:\n  name: app\nspec:\n"
        "  containerDefinitions:\n    - name: web\n      image: nginx\n      memory: ${DB_PASSWORD}\n"
        "      command: ['${DB_PASSWORD}${DB_PASSWORD}']\n      user: '${DB_PASSWORD}'\n"
        "      environment: [{name: A, value: '${DB_PASSWORD}'}, {name: A, value: b}]\n")
    with pytest.raises(ManifestError) as info:
        loader.load([str(tmp_path)], {"DB_PASSWORD": "hunter2-secret"})
    text = str(info.value) + " ".join(p.render() for p in info.value.problems)
    assert "spec.containerDefinitions[0].memory" in text and "(sensitive)" in text
    assert "hunter2-secret" not in text
