import pytest
from django.core.exceptions import ImproperlyConfigured

from pace_cases import env


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("off", False), ("0", False)]
)
def test_boolean_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("PACE_TEST_FLAG", raw)
    assert env.boolean("PACE_TEST_FLAG", default=not expected) is expected


def test_boolean_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("PACE_TEST_FLAG", "yse")
    with pytest.raises(ImproperlyConfigured, match="PACE_TEST_FLAG"):
        env.boolean("PACE_TEST_FLAG", default=False)


def test_integer_refuses_words(monkeypatch):
    monkeypatch.setenv("PACE_TEST_NUMBER", "thirty")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env.integer("PACE_TEST_NUMBER", default=30)


def test_required_string_must_be_set(monkeypatch):
    monkeypatch.delenv("PACE_TEST_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PACE_TEST_SECRET"):
        env.string("PACE_TEST_SECRET")


def test_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("PACE_TEST_SECRET_FILE", str(secret))
    assert env.string("PACE_TEST_SECRET") == "from-a-file"


def test_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("PACE_TEST_HOSTS", "a.example.org, b.example.org,")
    assert env.string_list("PACE_TEST_HOSTS", []) == ["a.example.org", "b.example.org"]
