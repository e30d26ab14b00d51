"""Secret-looking values never reach an imported file, and everything else reads back exactly."""

from __future__ import annotations

from reconciler import variables
from reconciler.importing.document import ImportedDocument
from reconciler.importing.secrets import SecretVariables, escape, required_variables
from reconciler.model.keys import Kind


def doc(spec, kind=Kind.TASK_DEFINITION):
    return ImportedDocument(kind, "x", spec, "x", "test")


def test_environment_options_labels_volume_options_and_tags_are_masked():
    d = doc({
        "containerDefinitions": [{
            "name": "web",
            "environment": [{"name": "DB_PASSWORD", "value": "p1"}, {"name": "LOG_LEVEL", "value": "info"}],
            "logConfiguration": {"logDriver": "splunk", "options": {"splunk-token": "t1", "splunk-url": "u"}},
            "dockerLabels": {"api-key": "k1", "team": "a"},
        }],
        "volumes": [{"name": "data", "dockerVolumeConfiguration": {"driverOpts": {"password": "p2"}}}],
        "tags": [{"key": "auth-token", "value": "t2"}, {"key": "team", "value": "a"}],
    })
    masker = SecretVariables()
    masker.mask(d)
    web = d.spec["containerDefinitions"][0]
    assert web["environment"] == [{"name": "DB_PASSWORD", "value": "${WEB_DB_PASSWORD}"},
                                  {"name": "LOG_LEVEL", "value": "info"}]
    assert web["logConfiguration"]["options"] == {"splunk-token": "${WEB_SPLUNK_TOKEN}", "splunk-url": "u"}
    assert web["dockerLabels"] == {"api-key": "${WEB_API_KEY}", "team": "a"}
    assert d.spec["volumes"][0]["dockerVolumeConfiguration"]["driverOpts"] == {"password": "${DATA_PASSWORD}"}
    assert d.spec["tags"] == [{"key": "auth-token", "value": "${TAG_AUTH_TOKEN}"}, {"key": "team", "value": "a"}]
    assert masker.variables == {"WEB_DB_PASSWORD": "p1", "WEB_SPLUNK_TOKEN": "t1", "WEB_API_KEY": "k1",
                                "DATA_PASSWORD": "p2", "TAG_AUTH_TOKEN": "t2"}
    assert [m.path for m in d.masked] == [
        "spec.containerDefinitions[web].environment[DB_PASSWORD]",
        "spec.containerDefinitions[web].logConfiguration.options[splunk-token]",
        "spec.containerDefinitions[web].dockerLabels[api-key]",
        "spec.volumes[data].dockerVolumeConfiguration.driverOpts[password]",
        "spec.tags[auth-token]"]


def test_variable_names_are_unique_across_one_import():
    """`--var` applies to the whole directory: two different values never share a name."""
    masker = SecretVariables()
    first = doc({"containerDefinitions": [{"name": "app", "environment": [{"name": "TOKEN", "value": "a"}]}]})
    second = doc({"containerDefinitions": [{"name": "app", "environment": [{"name": "TOKEN", "value": "b"}]}]})
    same = doc({"containerDefinitions": [{"name": "app", "environment": [{"name": "TOKEN", "value": "a"}]}]})
    for d in (first, second, same):
        masker.mask(d)
    assert [d.masked[0].variable for d in (first, second, same)] == ["APP_TOKEN", "APP_TOKEN_2", "APP_TOKEN"]


def test_empty_secret_values_and_custom_patterns():
    masker = SecretVariables(["PIN"])
    d = doc({"containerDefinitions": [{"name": "c", "environment": [
        {"name": "PASSWORD", "value": ""}, {"name": "CARD_PIN", "value": "1234"}]}]})
    masker.mask(d)
    assert d.spec["containerDefinitions"][0]["environment"] == [
        {"name": "PASSWORD", "value": ""}, {"name": "CARD_PIN", "value": "${C_CARD_PIN}"}]


def test_other_strings_are_escaped_and_read_back_literally():
    for text in ("${HOME}", "a ${X:-y} b", "$${Z}", "$HOME", "100$", "${not valid}"):
        assert variables.substitute(escape(text), {"HOME": "h", "X": "x", "Z": "z"}) == text
    d = doc({"containerDefinitions": [{"name": "c", "command": ["sh", "-c", "echo ${HOME}"]}]})
    SecretVariables().mask(d)
    assert d.spec["containerDefinitions"][0]["command"][2] == "echo $${HOME}"


def test_required_variables_are_those_without_defaults():
    d = doc({"a": "${ONE} ${TWO:-2} $${THREE}", "b": ["${FOUR}"]})
    assert required_variables([d]) == ["ONE", "FOUR"]
