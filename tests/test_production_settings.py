"""Settings that production must be given: start-up stops, naming the variable, rather than
falling back to a development value."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def import_settings(tmp_path, **environment):
    """Import the settings in a fresh interpreter (they are read once per process)."""
    env = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "SITE_URL_FILE", "DEBUG"}}
    env.update(PACE_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **environment)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import pace_cases.settings as s; print(s.SITE_URL)"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_site_url_is_required_in_production(tmp_path):
    result = import_settings(tmp_path, DEBUG="0", SECRET_KEY="a-test-key")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SITE_URL" in result.stderr


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DEBUG": "0", "SECRET_KEY": "a-test-key", "SITE_URL": "https://cases.example.org"}, "https://cases.example.org"),
        ({"DEBUG": "1"}, "http://localhost:8000"),
    ],
)
def test_site_url_is_read_or_defaults_in_development(tmp_path, environment, expected):
    result = import_settings(tmp_path, **environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
