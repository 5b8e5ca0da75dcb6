"""Property-based tests of every parser and importer (issue 14, "Bad input"): whatever comes in,
only the documented error escapes; what a generator can build valid comes back the same.

Every test here runs under the ``properties`` profile below: few examples, no deadline (the
machine is shared), and in CI the same examples on every run, so that a red build is a
reproducible one. Examples that once found a bug are pinned with ``@example``. For a deeper
search, set ``PROPERTY_EXAMPLES`` (e.g. 2000) to run that many examples of each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from hypothesis import HealthCheck, settings

from tests.ci import IN_CI

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))
settings.register_profile(
    "properties",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=IN_CI,
    # Database tests take the pytest-django fixtures once per test, not per example: each
    # example undoes its own writes (see ``rolled_back``).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROPERTIES = settings.get_profile("properties")
# For examples that each go through the database or a whole page: fewer of them.
DATABASE = settings(PROPERTIES, max_examples=max(1, EXAMPLES * 2 // 5))


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's database writes, undone at its end (the test's own transaction stays)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
