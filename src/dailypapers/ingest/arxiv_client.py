"""The one HTTP client for arXiv (API, OAI-PMH, RSS), holding arXiv's rules for the whole
installation (https://info.arxiv.org/help/api/tou.html) through ``polite``:

* one request at a time and at most one every ``DAILYPAPERS_ARXIV_MIN_INTERVAL`` seconds (3),
  across every process;
* retries with exponential backoff, honouring ``Retry-After``, giving up rather than waiting
  more than ``DAILYPAPERS_ARXIV_MAX_WAIT``;
* a descriptive User-Agent with the operator's contact address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from django.conf import settings

from .polite import Clock, PoliteClient, RateLimiter, SystemClock, Unreachable, user_agent

T = TypeVar("T")
MAX_BYTES = 200 * 2**20  # an OAI-PMH page is a few MB; no answer of arXiv's comes near this


class ArxivError(Unreachable):
    """arXiv could not be reached or kept failing; the message says what happened."""


class ArxivClient(PoliteClient):
    """GET requests to arXiv under the installation-wide rate limit, with retries."""

    error = ArxivError

    def __init__(
        self,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        interval: float | None = None,
        max_attempts: int | None = None,
    ) -> None:
        limiter = RateLimiter(
            clock or SystemClock(),
            settings.DAILYPAPERS_ARXIV_MIN_INTERVAL if interval is None else interval,
            max_wait=settings.DAILYPAPERS_ARXIV_MAX_WAIT,
            error=ArxivError,
        )
        super().__init__(
            "arXiv",
            limiter,
            http
            or httpx.Client(
                timeout=httpx.Timeout(settings.DAILYPAPERS_ARXIV_TIMEOUT),
                headers={"User-Agent": user_agent()},
                follow_redirects=True,
            ),
            max_attempts or settings.DAILYPAPERS_ARXIV_MAX_ATTEMPTS,
            settings.DAILYPAPERS_ARXIV_BACKOFF,
            MAX_BYTES,
        )

    def get(self, url: str, params: dict[str, str], parse: Callable[[bytes], T]) -> T:
        """GET ``url`` and parse the body (see :meth:`PoliteClient.fetch`)."""
        return self.fetch(url, params, lambda answer: parse(answer.body))
