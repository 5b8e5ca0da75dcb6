"""Rate limits that hold: counted atomically in their own table (parallel requests lose no
count, many addresses push none out), per client address behind a trusted proxy, and per
account as well as per address for log-ins and password resets."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client

from dailypapers.api import tokens
from tests.factories import PASSWORD, feature, member, paper

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_increments_are_all_counted():
    counters = caches["ratelimit"]
    counters.add("k", 0, 60)

    def bump(_: int) -> None:
        try:
            for _ in range(25):
                counters.incr("k")
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(bump, range(4)))  # re-raises any thread's error
    assert counters.get("k") == 100


def test_many_keys_push_no_counter_out():
    counters = caches["ratelimit"]
    counters.add("first", 7, 60)
    for i in range(1_000):  # the default database cache culls a third past 300 entries
        counters.add(f"other-{i}", 1, 60)
    assert counters.get("first") == 7


def test_add_starts_a_counter_once_and_an_expired_one_again():
    counters = caches["ratelimit"]
    assert counters.add("w", 1, 60) and not counters.add("w", 1, 60)
    assert counters.incr("w") == 2
    assert counters.add("old", 5, -1)  # already expired
    assert counters.get("old") is None and counters.add("old", 1, 60)
    with pytest.raises(ValueError):
        counters.incr("missing")


def _log_in(
    client: Client,
    account: str,
    password: str = "guess",
    address: str = "203.0.113.9",
    path: str = "/accounts/login",
    **fields: str,
):
    return client.post(
        path, {"username": account, "password": password, **fields}, HTTP_X_FORWARDED_FOR=address
    )


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(settings):
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    member("ada", email="ada@example.org")
    client = Client(HTTP_HOST="localhost")  # every request comes from the proxy's address
    for i in range(25):  # over the per-address limit in total, not for any one client
        response = _log_in(client, f"nobody{i}@example.org", address=f"198.51.100.{i}")
        assert response.status_code == 200
    assert _log_in(client, "ada@example.org", PASSWORD, address="198.51.100.99").status_code == 302


def test_a_forged_forwarded_for_is_ignored_without_a_trusted_proxy(limits_clock):
    client = Client(HTTP_HOST="localhost")
    for i in range(25):
        _log_in(client, f"nobody{i}@example.org", address=f"198.51.100.{i}")
    assert _log_in(client, "x@example.org", address="198.51.100.200").status_code == 429


def test_one_account_is_limited_however_many_addresses_try_it(settings, limits_clock):
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    member("ada", email="ada@example.org")
    member("bob", email="bob@example.org")
    client = Client(HTTP_HOST="localhost")
    for i in range(10):
        _log_in(client, "Ada@Example.org", address=f"198.51.100.{i}")
    response = _log_in(client, "ada@example.org", PASSWORD, address="198.51.100.50")
    assert response.status_code == 429 and "Slow down a little" in response.content.decode()
    assert _log_in(client, "bob@example.org", PASSWORD, address="198.51.100.51").status_code == 302


def test_the_account_limit_counts_the_address_that_is_authenticated(settings, limits_clock):
    """Another field cannot name a fresh counter for each try: an ``email`` beside the
    ``username`` did, and wrong passwords went on through a spent budget."""
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    member("ada", email="ada@example.org")
    client = Client(HTTP_HOST="localhost")
    for i in range(10):
        _log_in(client, "ada@example.org", address=f"198.51.100.{i}", email=f"x{i}@example.org")
    right = _log_in(client, "ada@example.org", PASSWORD, "198.51.100.50", email="y@example.org")
    assert right.status_code == 429


def test_the_admin_log_in_shares_the_sites_limits(settings, limits_clock):
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    for name in ("root", "ops"):
        staff = member(name)
        staff.is_staff = staff.is_superuser = True
        staff.save()
    client = Client(HTTP_HOST="localhost")
    for i in range(10):  # per account, the site's form and the admin's in one budget
        path = "/admin/login/" if i % 2 else "/accounts/login"
        wrong = _log_in(client, "root@example.org", address=f"198.51.100.{i}", path=path)
        assert wrong.status_code == 200
    right = _log_in(client, "root@example.org", PASSWORD, "198.51.100.50", "/admin/login/")
    assert right.status_code == 429 and "Slow down a little" in right.content.decode()
    tries = [  # per address
        _log_in(client, f"nobody{i}@example.org", address="198.51.100.60", path="/admin/login/")
        for i in range(21)
    ]
    assert [t.status_code for t in tries] == [200] * 20 + [429]
    ops = _log_in(client, "ops@example.org", PASSWORD, "198.51.100.70", "/admin/login/")
    assert ops.status_code == 302  # logged in


def test_anonymous_searches_are_limited_per_address(settings, limits_clock):
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    client = Client(HTTP_HOST="localhost")
    codes = [
        client.get("/search?q=graphs", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code
        for _ in range(61)
    ]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    assert client.get("/search?q=graphs", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


def test_listings_and_paper_pages_share_one_budget_per_client(settings):
    settings.DAILYPAPERS_PAGE_RATE = "4/d"  # a window that does not end during the test
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    feature(paper("2509.04664"), dt.date(2025, 9, 8))
    client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="198.51.100.7")
    pages = ["/", "/papers/date/2025-09-08", "/papers/2509.04664", "/papers/month/2025-09", "/"]
    assert [client.get(page).status_code for page in pages] == [200, 200, 200, 200, 429]
    other = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.get("/").status_code == 200
    member_client = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR="198.51.100.7")
    member_client.force_login(member("ada"))
    assert member_client.get("/").status_code == 200  # a member has a budget of their own


def test_mail_to_one_address_is_limited_whoever_asks(settings, limits_clock):
    settings.DAILYPAPERS_TRUSTED_PROXIES = 1
    client = Client(HTTP_HOST="localhost")
    codes = [
        client.post(
            "/digest/subscribe",
            {"email": "Target@example.org", "frequency": "daily"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize(("action", "budget"), [("comment", 10), ("vote", 120)])
def test_a_member_has_one_budget_per_action_through_the_site_and_the_api(
    limits_clock, action, budget
):
    ada, target = member("ada"), paper("2509.04664")
    site = Client(HTTP_HOST="localhost")
    site.force_login(ada)
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {tokens.create(ada, 'x')[1]}")
    on_api = f"/api/v1/papers/{target.arxiv_id}"
    doors = {
        "comment": [
            lambda: site.post(f"/comments/{target.pk}/new", {"body": "Hm."}),
            lambda: api.post(
                f"{on_api}/comments", {"body": "Hm."}, content_type="application/json"
            ),
        ],
        "vote": [  # the site's POST, the API's PUT and DELETE
            lambda: site.post(f"/vote/{target.pk}"),
            lambda: api.put(f"{on_api}/vote"),
            lambda: api.delete(f"{on_api}/vote"),
        ],
    }[action]
    spent = [doors[i % len(doors)]().status_code for i in range(budget)]
    assert 429 not in spent
    refused = [door() for door in doors]
    assert [r.status_code for r in refused] == [429] * len(doors)
    assert "Slow down a little" in refused[0].content.decode()  # each door answers its way
    assert "Too many requests" in refused[1].json()["error"] and "Retry-After" in refused[1]
