"""Every rate limit of the site and its API, in one table: what an action may cost, per whom.

A ``Budget`` is one django-ratelimit counter. Its group, rate, key and methods make the
counter's name, so a budget spent through two doors is one count: a member's vote on the site
(``@VOTE.view``) and through the API (``api.core.Limit(VOTE)``, which counts the ``user`` of a
token's holder) spend the same 120 a minute. An action with two counters (per client address
and per recipient, say) has two budgets, and spends both.

Renaming a group starts its counters again. Limits first written as bare decorators keep the
group django-ratelimit gave them then (the view's module and name), so that a deploy leaves
live counters running.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL, UNSAFE
from django_ratelimit.decorators import ratelimit

from .counters import posted_email, posted_username

# A rate ("10/h"), or django-ratelimit's ``rate(group, request)``, which reads a setting per
# request so that a changed setting applies.
Rate = str | Callable[[str, HttpRequest], str]
# A django-ratelimit key: "ip" (the client's address, an IPv6 /64 as one), "user" (the
# member), "user_or_ip", or ``key(group, request)``.
Key = str | Callable[[str, HttpRequest], str]
POST = ("POST",)


@dataclass(frozen=True)
class Budget:
    """A rate limit's counter: its group, its rate, whom it counts and the methods that spend
    it (writes only, say, so that a form's GET costs nothing)."""

    group: str
    rate: Rate
    key: Key
    method: Sequence[str | None]

    def view(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """``view`` spending this budget; past it django-ratelimit refuses (the 429 page)."""
        return ratelimit(group=self.group, key=self.key, rate=self.rate, method=self.method)(view)


def _page_rate(group: str, request: HttpRequest) -> str:
    return settings.DAILYPAPERS_PAGE_RATE


def _api_rate(group: str, request: HttpRequest) -> str:
    return settings.DAILYPAPERS_API_RATE


# --- reading -----------------------------------------------------------------------------------
# Listings and paper pages, all together: far above what a reader opens, so that only a
# scraper hammering them gets a 429.
PAGES = Budget("pages", _page_rate, "user_or_ip", ALL)
# Each query costs a search of the whole corpus.
SEARCH = Budget("dailypapers.search.views.search", "60/m", "user_or_ip", ALL)
# The API's reads (an operation of its own budget overrides it), per token holder or address.
API_READ = Budget("api-read", _api_rate, "user_or_ip", ALL)
# Open data outside the API, as many again each.
MARKDOWN = Budget("open-data-markdown", _api_rate, "ip", ALL)
FEEDS = Budget("open-data-feeds", _api_rate, "ip", ALL)
# Every HTTP request of MCP, tool call or not (an assistant's session makes a few besides).
MCP = Budget("mcp", _api_rate, "ip", ALL)
# The sitemap's index and sections: a section lists up to 50,000 addresses and a crawler reads
# them one after another; a few a minute keep one client from holding the web processes.
SITEMAP = Budget("sitemaps", "10/m", "ip", ALL)

# --- accounts and mail: per client address, and per account or recipient, which many
# addresses escape; per member where one is signed in ------------------------------------------
LOG_IN_PER_ADDRESS = Budget("log-in", "20/h", "ip", POST)  # the site's form and the admin's
LOG_IN_PER_ACCOUNT = Budget("log-in", "10/h", posted_username, POST)
SIGN_UP_PER_ADDRESS = Budget("dailypapers.community.views.sign_up", "10/h", "ip", POST)
SIGN_UP_PER_EMAIL = Budget("dailypapers.community.views.sign_up", "3/h", posted_email, POST)
_RESET = "django.contrib.auth.views.PasswordResetView.PasswordResetView.dispatch"
PASSWORD_RESET_PER_ADDRESS = Budget(_RESET, "5/h", "ip", POST)
PASSWORD_RESET_PER_EMAIL = Budget(_RESET, "3/h", posted_email, POST)
SUBSCRIBE_PER_ADDRESS = Budget("dailypapers.digest.views.subscribe", "10/h", "ip", POST)
SUBSCRIBE_PER_EMAIL = Budget("dailypapers.digest.views.subscribe", "3/h", posted_email, POST)
VERIFICATION_MAIL = Budget("dailypapers.community.views.resend_verification", "5/h", "user", POST)
EMAIL_CHANGE = Budget("dailypapers.community.views.account", "5/h", "user", POST)

# --- taking part: per member, whichever door (site or API) -------------------------------------
# Every write method: the API's PUT and DELETE of a vote cost as the form's POST does.
WRITES = tuple(UNSAFE)
SUBMIT = Budget("member-submit", "20/h", "user", WRITES)
VOTE = Budget("member-vote", "120/m", "user", WRITES)
COMMENT = Budget("member-comment", "10/m", "user", WRITES)
COMMENT_EDIT = Budget("dailypapers.community.views.edit_comment", "30/m", "user", POST)
LIBRARY_IMPORT = Budget("dailypapers.library.views.import_file", "10/h", "user", POST)
