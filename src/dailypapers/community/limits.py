"""What a member may do how often: one budget per action, whichever door it comes through.

The site's forms (``@SUBMIT.view``) and the API's operations (``api.core.Limit(SUBMIT)``)
count a member's submissions, votes and comments in the same counter, so that using both
doors does not double the budget. django-ratelimit keys a counter on its group, rate, key
and methods: a budget holds the first, second and last, and both doors key a member by
primary key (the ``user`` key, as ``Limit`` keys a token's holder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django_ratelimit import UNSAFE
from django_ratelimit.decorators import ratelimit

# A rate, or django-ratelimit's ``rate(group, request)`` that reads it per request.
Rate = str | Callable[[str, HttpRequest], str]


@dataclass(frozen=True)
class Budget:
    """A rate limit's counter: its django-ratelimit group, its rate, the methods that spend it."""

    group: str
    rate: Rate
    # The methods that spend it: writes only, so that the submit form's GET costs nothing
    # and the API's PUT and DELETE of a vote cost as the form's POST does.
    method: tuple[Any, ...] = tuple(UNSAFE)

    def view(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """``view`` limited per signed-in member (behind ``participant_required``)."""
        return ratelimit(group=self.group, key="user", rate=self.rate, method=self.method)(view)


SUBMIT = Budget("member-submit", "20/h")
VOTE = Budget("member-vote", "120/m")
COMMENT = Budget("member-comment", "10/m")
