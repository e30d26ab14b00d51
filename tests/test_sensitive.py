"""Which names count as secret: matched by word, so API_KEY is secret and MONKEY is not."""

import pytest

from reconciler.model.sensitive import is_sensitive_name, words


@pytest.mark.parametrize("name", ["DB_PASSWORD", "apiKey", "API_KEY", "AWS_SECRET_ACCESS_KEY", "X-Auth-Token",
                                  "GITHUB_TOKEN", "sessionToken", "PRIVATE_KEY_PATH", "passwordFile", "db.pass",
                                  "STRIPE_SECRET", "DATABASE_DSN", "client-credentials"])
def test_secret_names(name):
    assert is_sensitive_name(name)


@pytest.mark.parametrize("name", ["MONKEY", "KEYCLOAK_URL", "LOG_LEVEL", "PASSENGER_COUNT", "IMAGE_TAG",
                                  "AWS_REGION", "TOKENIZER_MODEL", "PORT", ""])
def test_ordinary_names(name):
    assert not is_sensitive_name(name)


def test_extra_patterns_match_whole_words_and_phrases():
    assert is_sensitive_name("STRIPE_PK", ["PK"])
    assert is_sensitive_name("my_signing_material", ["SIGNING_MATERIAL"])
    assert not is_sensitive_name("SPKI", ["PK"])


def test_words_split_snake_camel_and_kebab():
    assert words("dbPasswordV2") == ["DB", "PASSWORD", "V", "2"]
    assert words("HTTPServerURL") == ["HTTP", "SERVER", "URL"]
