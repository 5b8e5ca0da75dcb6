"""With REDIS_URL every cache lives in a real Redis server: counters stay atomic, rate limits
hold across processes, and the pages' caches work there."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from tests.conftest import cli_env, free_port, wait_for
from tests.factories import member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throw-away redis-server (Debian's package, installed by `make setup-test`)."""
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: `make setup-test` installs it"
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_for(lambda: _listening(port), timeout=10)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def site_caches(redis_url: str) -> dict:
    """CACHES as the site's settings make them when REDIS_URL is set, read by a real process."""
    code = "from django.conf import settings; import json; print(json.dumps(settings.CACHES))"
    out = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "shell", "--no-imports", "-c", code],
        env=cli_env(REDIS_URL=redis_url),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_every_cache_moves_to_redis(redis_url):
    configured = site_caches(redis_url)
    assert {"default", "ratelimit", "recommend", "open_data"} <= set(configured)
    for alias, cache in configured.items():
        assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache", alias
        assert (cache["LOCATION"], cache["KEY_PREFIX"]) == (redis_url, alias)


def test_counters_and_limits_hold_in_redis(redis_url, settings):
    with override_settings(CACHES=site_caches(redis_url)):
        counters = caches["ratelimit"]
        counters.clear()
        assert counters.add("k", 0, 60) and not counters.add("k", 5, 60)

        def bump(_: int) -> None:
            for _ in range(25):
                counters.incr("k")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(bump, range(4)))
        assert counters.get("k") == 100

        # The log-in limit per account, counted in Redis: two clients (think two web
        # processes) from two addresses share it.
        settings.DAILYPAPERS_TRUSTED_PROXIES = 1
        member("ada", email="ada@example.org")
        answers = []
        for i in range(12):
            client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR=f"198.51.100.{i % 2}")
            tried = client.post("/accounts/login", {"username": "ada@example.org", "password": "x"})
            answers.append(tried.status_code)
        assert answers[:10] == [200] * 10 and answers[10:] == [429, 429]
        assert client.get("/").status_code == 200  # pages render with every cache in Redis
