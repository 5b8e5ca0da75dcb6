"""Caching for the pages people open most (the day, week and month listings and the paper
page), so that they answer under load about as fast as a static file.

* **The content stamp** is a random number that database triggers replace whenever a row of
  a ``WATCHED`` table changes (papers, featurings, votes, comments, members, collections,
  saves and "not interested" marks), by any path: the ORM, bulk imports, raw SQL, the admin.
  It becomes visible together with the change (on PostgreSQL the trigger is deferred to the
  commit), so what was built under one stamp is never served under another, and a random
  value never comes back after a rollback or a flush. Inside a transaction there is no
  stamp: the transaction's own writes are not in it yet.
* **Shared copies** (a page's skeleton, a paper card) hold nothing of one viewer: the CSRF
  token is a marker filled in per response; a viewer's own parts (their account links,
  messages, collections, comment forms) go into holes per request, and what depends only on
  their marks (the vote and save buttons of a card) is a variant in the key.
* **Anonymous pages** are cached whole under the stamp, with a weak ETag of the stamp, the
  address and the visitor's CSRF secret: a revalidation answers 304 without building
  anything. Members' pages are private, without an ETag, so that no cache, shared or not,
  gives one person's page to another. Every page varies on ``Cookie``.

Everything lives in the ``pages`` cache (local memory per process by default, Redis with
``REDIS_URL``) under keys that include the stamp; the stamp lives in the database, which
every process shares."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Hashable, Mapping
from functools import partial
from typing import Any, TypeVar

from django.apps import AppConfig
from django.contrib import messages
from django.core.cache import caches
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from .models import ContentStamp

T = TypeVar("T")

TABLE = ContentStamp._meta.db_table
# What the cached pages show: papers, their featurings and member votes, comments, and the
# members behind them (a ban hides a member's comments).
WATCHED = (
    "papers_paper",
    "feed_featured",
    "feed_votetally",
    "community_comment",
    "community_member",
    # and members' own marks and collections, kept per member under the stamp
    "community_vote",
    "library_collection",
    "library_entry",
    "library_dismissal",
)

# Markers in shared fragments. Escaped text cannot contain "<!--", so no paper or comment can
# forge one.
CSRF = mark_safe("<!--dp:csrf-->")  # the viewer's CSRF token, filled in per response
_CSRF = CSRF.encode()
NEXT = mark_safe("<!--dp:next-->")  # the address a card's forms return to
RANK = mark_safe("<!--dp:rank-->")  # a card's place in its listing
REASON = mark_safe("<!--dp:reason-->")  # why a "for you" card is there

CACHE_CONTROL = "private, no-cache"  # a browser may keep a page, but asks each time


def stamp() -> int | None:
    """The content stamp, or None where nothing may be cached: inside a transaction, or on
    a database whose stamp row is gone (a flush), until the next change brings it back."""
    connection = connections["default"]
    if connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def cached(content: int | None, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """``build()``, kept in the ``pages`` cache under ``key`` for this content stamp (or
    built afresh when there is none)."""
    if content is None:
        return build()
    return _kept(_name(content, *key), build)


def _kept(name: str, build: Callable[[], T], keep: Callable[[T], bool] | None = None) -> T:
    store = caches["pages"]
    found = store.get(name, _MISSING)
    if found is _MISSING:
        found = build()
        if keep is None or keep(found):
            store.set(name, found)
    return found


def fragments(keys: Mapping[T, tuple[Hashable, ...]]) -> dict[T, str]:
    """The cached fragments of ``keys`` (one round trip), by the caller's own handle."""
    names = {handle: _name(*key) for handle, key in keys.items()}
    found = caches["pages"].get_many(list(names.values()))
    return {handle: found[name] for handle, name in names.items() if name in found}


def keep_fragments(built: Mapping[tuple[Hashable, ...], str]) -> None:
    caches["pages"].set_many({_name(*key): html for key, html in built.items()})


class _Holes:
    """``{{ hole.NAME }}``: where :func:`personal` puts a viewer's part of a shared page."""

    def __getitem__(self, name: str) -> SafeString:
        return mark_safe(f"<!--dp:hole:{name}-->")


HOLES = _Holes()


def skeleton(page: str, context: dict[str, Any]) -> str:
    """Template ``page`` as every viewer sees it: without the request, so that nothing of the
    viewer can get in; their blocks are holes (``_shared.html``) and the CSRF token a marker."""
    return render_to_string(
        "_shared.html", {**context, "page_template": page, "hole": HOLES, "csrf_token": CSRF}
    )


def fill(html: str, **parts: str) -> str:
    """``html`` with the holes named in ``parts`` filled in."""
    for name, part in parts.items():
        html = html.replace(HOLES[name], part)
    return html


# A page as the cache keeps it: UTF-8 cut at its markers, text and marker names alternating,
# so that filling them in per request is one join (str.replace over a 150 kB page took ten
# times as long, and unpickling the text as a str five times as long as bytes).
Frozen = tuple[bytes, ...]
_MARKER = re.compile(rb"<!--dp:([a-z:]+)-->")


def freeze(html: str | bytes) -> Frozen:
    return tuple(_MARKER.split(html.encode() if isinstance(html, str) else html))


def personal(request: HttpRequest, frozen: Frozen, csrf: bytes, **parts: str) -> bytes:
    """A frozen :func:`skeleton` with the viewer's parts in its holes: ``parts``, and those of
    base.html, their account links and their messages; ``csrf`` for the CSRF token."""
    waiting = messages.get_messages(request)
    shown = render_to_string("_messages.html", {"messages": waiting}) if waiting else ""
    parts |= {"account": _account(request), "messages": shown}
    values = {f"hole:{name}".encode(): v.encode().replace(_CSRF, csrf) for name, v in parts.items()}
    values[b"csrf"] = csrf
    return b"".join([values[piece] if i % 2 else piece for i, piece in enumerate(frozen)])


def _account(request: HttpRequest) -> str:
    context = {"user": request.user, "request": request, "csrf_token": CSRF}
    if not request.user.is_authenticated:  # "log in", and come back here
        return render_to_string("_account.html", context)
    user = request.user
    key = _name("account", user.pk, user.get_username())
    return _kept(key, partial(render_to_string, "_account.html", context))


def shareable(request: HttpRequest, content: int | None) -> bool:
    """Whether ``request`` may get the page everyone without an account gets: a read by a
    visitor who is not signed in and has no message waiting, with a content stamp."""
    return (
        content is not None
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))
    )


Build = Callable[[bytes], bytes | HttpResponse]  # a page for this CSRF token, or an error page


def shared_page(request: HttpRequest, key: tuple[Hashable, ...], build: Build) -> HttpResponse:
    """An anonymous visitor's page: 304 when their copy is current, else the cached page (or
    the one ``build`` makes, kept). ``key`` includes the stamp and whatever else the page
    depends on; a response that ``build`` returns (an error page) is answered uncached."""
    token = get_token(request).encode()
    secret = request.META["CSRF_COOKIE"]  # one ETag per visitor: their copy holds their token
    digest = hashlib.blake2b(repr((key, secret)).encode(), digest_size=12).hexdigest()
    response = HttpResponse()
    response["ETag"] = f'W/"{digest}"'  # weak: the token's masking differs from copy to copy
    _private(response)
    answer = get_conditional_response(request, etag=response["ETag"], response=response)
    if answer is not None and answer is not response:
        return answer
    page = _kept(_name(*key), partial(_frozen, build), lambda built: isinstance(built, tuple))
    if isinstance(page, HttpResponse):
        return page
    response.content = token.join(page[::2])  # the only markers left are the CSRF token's
    return response


def _frozen(build: Build) -> Frozen | HttpResponse:
    page = build(_CSRF)
    return page if isinstance(page, HttpResponse) else freeze(page)


def private_page(request: HttpRequest, build: Build) -> HttpResponse:
    """A page built for this request alone (a member's)."""
    page = build(get_token(request).encode())
    return page if isinstance(page, HttpResponse) else _private(HttpResponse(page))


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, ["Cookie"])
    return response


_MISSING = object()


def _name(*key: Hashable) -> str:
    """A cache key of any length within every backend's limits."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


# --- the triggers -----------------------------------------------------------------------------

_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS dailypapers_stamp_{table}_{op} AFTER {op} ON {table} "
    f"BEGIN UPDATE {TABLE} SET value = random() WHERE id = 1; END"
)
# Deferred to the commit, so that the row is locked only while a transaction commits: taken
# earlier, it would be held while the transaction waits for other locks (a deadlock with a
# vote recount waiting for it), and would make every writer wait for the longest one. Once
# per transaction: a bulk import's later rows find the row already theirs.
_POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION dailypapers_content_changed() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN UPDATE {TABLE} SET value = (random() * 9e18)::bigint "
    "WHERE id = 1 AND xmin <> pg_current_xact_id()::xid; RETURN NULL; END $$"
)
_POSTGRES_TRIGGER = (
    "DO $$ BEGIN CREATE CONSTRAINT TRIGGER dailypapers_content_changed AFTER INSERT OR UPDATE "
    "OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "
    "dailypapers_content_changed(); EXCEPTION WHEN duplicate_object THEN NULL; END $$"
)


def install(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every ``migrate`` (and test flush): the stamp row and the triggers, for the
    tables that exist. Idempotent; run again because SQLite drops a table's triggers when a
    migration rebuilds the table."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if TABLE not in tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (id, value) VALUES (1, %s) ON CONFLICT (id) DO NOTHING",
            [secrets.randbits(62)],
        )
        for sql in _trigger_sql(connection, [t for t in WATCHED if t in tables]):
            cursor.execute(sql)


def _trigger_sql(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    if connection.vendor == "sqlite":
        ops = ("INSERT", "UPDATE", "DELETE")
        return [_SQLITE.format(table=t, op=op) for t in tables for op in ops]
    if connection.vendor == "postgresql":
        return [_POSTGRES_FUNCTION, *(_POSTGRES_TRIGGER.format(table=t) for t in tables)]
    raise DatabaseError(f"no content-stamp triggers for {connection.vendor}")
