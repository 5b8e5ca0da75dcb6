"""Configuration from the environment, read by a fresh interpreter each time."""

import os
import subprocess
import sys

import pytest
from django.db import connection


def settings_of(env: dict[str, str], expr: str) -> str:
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='dailypapers.settings'\n"
        f"from django.conf import settings; print({expr})"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_defaults_are_sqlite_in_the_data_folder_with_debug_off(tmp_path):
    env = {"DAILYPAPERS_HOME": str(tmp_path)}
    assert settings_of(env, "settings.DATABASES['default']['NAME']") == str(
        tmp_path / "dailypapers.sqlite3"
    )
    assert settings_of(env, "settings.DEBUG") == "False"
    # a generated secret key is kept, so sessions survive a restart
    assert settings_of(env, "settings.SECRET_KEY") == settings_of(env, "settings.SECRET_KEY")
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_overrides(tmp_path):
    env = {
        "DAILYPAPERS_HOME": str(tmp_path),
        "DATABASE_URL": "postgres://u:p@db.example:5433/papers",
        "DEBUG": "1",
        "SECRET_KEY": "s3cret",
        "ALLOWED_HOSTS": "papers.example.org, localhost",
    }
    db = "settings.DATABASES['default']"
    assert settings_of(env, f"{db}['HOST'], {db}['PORT'], {db}['NAME']") == (
        "db.example 5433 papers"
    )
    assert settings_of(env, "settings.DEBUG, settings.SECRET_KEY") == "True s3cret"
    assert settings_of(env, "settings.ALLOWED_HOSTS") == "['papers.example.org', 'localhost']"


@pytest.mark.django_db
def test_suite_runs_on_the_database_it_was_given():
    url = os.environ.get("DATABASE_URL", "")
    assert connection.vendor == ("postgresql" if url.startswith("postgres") else "sqlite")
