"""Configuration from the environment, read by a fresh interpreter each time."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import cli_env

SRC = Path(__file__).resolve().parents[1] / "src" / "dailypapers"


def settings_of(env: dict[str, str], expr: str, ok: bool = True) -> str:
    """``expr`` evaluated after importing the site's settings; stderr when ``ok`` is False."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='dailypapers.settings'\n"
        f"from django.conf import settings; print({expr})"
    )
    clean = {k: v for k, v in cli_env().items() if k not in ("DEBUG", "SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert (result.returncode == 0) == ok, result.stderr
    return result.stdout.strip() if ok else result.stderr


def test_the_command_creates_the_data_folder_and_a_private_key_kept_across_runs(tmp_path):
    home = tmp_path / "var"
    env = cli_env(DAILYPAPERS_HOME=str(home))
    for _ in range(2):
        command = [sys.executable, "-m", "dailypapers.cli", "check"]
        subprocess.run(command, env=env, check=True, capture_output=True)
        key = (home / "secret_key").read_text()
        assert len(key) > 40 and (home / "secret_key").stat().st_mode & 0o077 == 0
        assert settings_of({"DAILYPAPERS_HOME": str(home)}, "settings.SECRET_KEY") == key
    env = {"DAILYPAPERS_HOME": str(home)}
    assert settings_of(env, "settings.DATABASES['default']['NAME']") == str(
        home / "dailypapers.sqlite3"
    )
    assert settings_of(env, "settings.DEBUG") == "False"


def test_importing_settings_writes_nothing_and_says_what_is_missing(tmp_path):
    home = tmp_path / "never-prepared"
    error = settings_of({"DAILYPAPERS_HOME": str(home)}, "settings.SECRET_KEY", ok=False)
    assert "no secret key" in error and "run any `dailypapers` command" in error
    assert not home.exists()


def test_environment_overrides(tmp_path):
    env = {
        "DAILYPAPERS_HOME": str(tmp_path),
        "DATABASE_URL": "postgres://u:p@db.example:5433/papers",
        "DEBUG": "1",
        "SECRET_KEY": "s3cret",
        "ALLOWED_HOSTS": "papers.example.org, localhost",
        "DAILYPAPERS_EMBED_MAX_TOKENS": "128",
    }
    db = "settings.DATABASES['default']"
    assert settings_of(env, f"{db}['HOST'], {db}['PORT'], {db}['NAME']") == (
        "db.example 5433 papers"
    )
    assert settings_of(env, "settings.DEBUG, settings.SECRET_KEY") == "True s3cret"
    assert settings_of(env, "settings.ALLOWED_HOSTS") == "['papers.example.org', 'localhost']"
    assert settings_of(env, "settings.DAILYPAPERS_EMBED_MAX_TOKENS") == "128"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DAILYPAPERS_PAGE_SIZE", "lots", "DAILYPAPERS_PAGE_SIZE must be a number, not 'lots'"),
        ("DAILYPAPERS_EMBED_THREADS", "0", "must be between 1 and 64, not 0"),
        ("PORT", "70000", "PORT must be between 1 and 65535"),
    ],
)
def test_a_bad_number_is_named_in_the_error(tmp_path, name, value, message):
    env = {"DAILYPAPERS_HOME": str(tmp_path), "SECRET_KEY": "k", name: value}
    assert message in settings_of(env, "settings.DEBUG", ok=False)


@pytest.mark.parametrize(
    "value", ["huggingface.co", "https://huggingface.co, ftp://papers.example.org", "https://"]
)
def test_an_upstream_that_is_no_address_is_named_in_the_error(tmp_path, value):
    env = {"DAILYPAPERS_HOME": str(tmp_path), "SECRET_KEY": "k", "DAILYPAPERS_UPSTREAMS": value}
    said = settings_of(env, "settings.DEBUG", ok=False)
    assert "DAILYPAPERS_UPSTREAMS: each upstream is an http(s) address" in said


def test_the_environment_is_read_in_settings_only():
    """So that one file holds every setting; tests/test_docs.py checks they are documented."""
    readers = {"settings.py", "infra/environment.py", "infra/home.py"}
    elsewhere = [
        f"{path.relative_to(SRC)}: {line.strip()}"
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC).as_posix() not in readers
        for line in path.read_text().splitlines()
        # infra.environment's helpers read a variable by the name settings.py gives them
        if re.search(r"os\.environ|getenv|infra\.environment\b|import environment\b", line)
        and ".setdefault(" not in line
    ]
    assert elsewhere == [], "read the environment in settings.py only"


@pytest.mark.django_db
def test_suite_runs_on_the_database_it_was_given():
    url = os.environ.get("DATABASE_URL", "")
    assert connection.vendor == ("postgresql" if url.startswith("postgres") else "sqlite")


def test_a_site_served_over_https_passes_the_deploy_check_with_one_setting(tmp_path):
    env = cli_env(
        DAILYPAPERS_HOME=str(tmp_path),
        SECRET_KEY="k" * 20 + "-a-long-random-enough-production-key-0123456789",
        ALLOWED_HOSTS="papers.example.org",
    )
    env.pop("DEBUG", None)
    command = [
        sys.executable,
        "-m",
        "dailypapers.cli",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    ]
    plain = subprocess.run(command, env=env, capture_output=True, text=True)
    assert plain.returncode != 0 and "SESSION_COOKIE_SECURE" in plain.stderr
    served = subprocess.run(
        command, env={**env, "DAILYPAPERS_HTTPS": "1"}, capture_output=True, text=True
    )
    assert served.returncode == 0, served.stderr
    secure = settings_of(
        {**env, "DAILYPAPERS_HTTPS": "1"},
        "settings.SECURE_PROXY_SSL_HEADER, settings.SECURE_HSTS_SECONDS, "
        "settings.CSRF_COOKIE_SECURE",
    )
    assert secure == "('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True"
