"""Caching for the pages people open most (the day, week and month listings and the paper
page), so that they answer under load about as fast as a static file. A page declares what it
shows, as a :class:`Listing` (a page of cards) or a :class:`Detail` (a page about one item);
this module keeps it and answers with it.

* **The content stamp** is a random number that database triggers replace whenever a row of
  a watched table changes (each app names its models: :func:`watch`), by any path: the ORM,
  bulk imports, raw SQL, the admin. It becomes visible together with the change (on
  PostgreSQL the trigger is deferred to the commit), so what was built under one stamp is
  never served under another, and a random value never comes back after a rollback or a
  flush. Inside a transaction there is no stamp: its own writes are not in it yet.
* **Shared copies** (a page's skeleton, a card) hold nothing of one viewer: the CSRF token is a
  marker filled in per response; a viewer's own parts (account links, messages, collections,
  comment forms) go into holes per request, and what depends only on their marks (a card's
  vote and save buttons) is a variant in the key.
* **Anonymous pages** are cached whole under the stamp, with a weak ETag of the stamp, the
  address and the visitor's CSRF secret: a revalidation answers 304 without building
  anything. Members' pages are private, without an ETag. Every page varies on ``Cookie``.

Everything lives in the ``pages`` cache (local memory per process, or Redis with
``REDIS_URL``); the stamp lives in the database, which every process shares."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Generic, Protocol, TypeVar

from django.apps import AppConfig
from django.contrib import messages
from django.core.cache import caches
from django.core.paginator import Page
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from .models import ContentStamp

T = TypeVar("T")

TABLE = ContentStamp._meta.db_table
_WATCHED: set[str] = set()


def watch(*models: type[Model]) -> None:
    """Have every write to ``models``' tables change the content stamp. Each app calls this in
    its ``AppConfig.ready()`` for the models that the cached pages show rows of."""
    _WATCHED.update(model._meta.db_table for model in models)


def watched() -> frozenset[str]:
    """The tables whose writes change the content stamp."""
    return frozenset(_WATCHED)


# Markers in shared fragments. Escaped text cannot contain "<!--", so no paper or comment can
# forge one.
CSRF = mark_safe("<!--dp:csrf-->")  # the viewer's CSRF token, filled in per response
_CSRF = CSRF.encode()
NEXT = mark_safe("<!--dp:next-->")  # the address a card's forms return to
RANK = mark_safe("<!--dp:rank-->")  # a card's place in its listing
REASON = mark_safe("<!--dp:reason-->")  # why a "for you" card is there


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


def fragments(keys: Mapping[T, tuple[Hashable, ...]]) -> dict[T, str]:
    """The cached fragments of ``keys`` (one round trip), by the caller's own handle: pieces
    kept under what they show rather than the stamp (a card), which one change leaves."""
    names = {handle: _name(*key) for handle, key in keys.items()}
    found = caches["pages"].get_many(list(names.values()))
    return {handle: found[name] for handle, name in names.items() if name in found}


def keep_fragments(built: Mapping[tuple[Hashable, ...], str]) -> None:
    caches["pages"].set_many({_name(*key): html for key, html in built.items()})


# --- the declarations -------------------------------------------------------------------------


class Own(Protocol):
    """What the cached pages need of a viewer's own marks (a site's own type holds more):
    the items a listing leaves out for them, and which version of an item's card they see
    (signed in? voted? saved?), never who they are: a card is kept once per variant."""

    @property
    def dismissed(self) -> Collection[int]: ...

    def variant(self, pk: int) -> Hashable: ...


OwnT = TypeVar("OwnT", bound=Own)
Row = tuple[Any, ...]  # a card's row: its item's pk, then every value the card shows
Reader = Callable[[HttpRequest, int | None], OwnT]  # a viewer's own marks under a stamp


class Viewer(Generic[OwnT]):
    """Whom a page is built for: ``request``, the ``stamp`` it is built under (None: nothing
    is kept), and their ``own`` marks, read when first asked for."""

    def __init__(self, request: HttpRequest, content: int | None, read: Reader[OwnT]) -> None:
        self.request, self.stamp, self._read = request, content, read

    @cached_property
    def own(self) -> OwnT:
        return self._read(self.request, self.stamp)

    def cached(self, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
        """``build()``, kept under ``key`` for this viewer's stamp."""
        return cached(self.stamp, key, build)


@dataclass(frozen=True)
class Cards(Generic[OwnT]):
    """How a site shows a listing's items to a viewer: ``own(request, stamp)``, their marks;
    ``page(request, rows)``, their page (``?page=``) of the rows; ``html(viewer, rows, first,
    items)``, the cards of rows ranked from ``first``, rendered from ``items(pks)`` if not kept."""

    own: Reader[OwnT]
    page: Callable[[HttpRequest, Sequence[Row]], Page]
    html: Callable[[Viewer[OwnT], Sequence[Row], int, Callable[[list[int]], Any]], list[str]]


@dataclass(frozen=True)
class Listing(Generic[OwnT]):
    """A page of cards, declared by what it shows; :meth:`respond` keeps and serves it.
    ``depends``: what it shows besides the stamp and its address (what ``rows`` reads, the
    clock); ``rows()``: every item listed, in order, kept per stamp and ``depends``;
    ``context(page)``: the ``template``'s context around one viewer's page of them (their
    cards fill its ``cards`` block); ``items(pks)``: the items of cards not yet kept."""

    template: str
    depends: tuple[Hashable, ...]
    rows: Callable[[], list[Row]]
    context: Callable[[Page], dict[str, Any]]
    items: Callable[[list[int]], Iterable[Any]]
    cards: Cards[OwnT]

    def respond(self, request: HttpRequest) -> HttpResponse:
        return _respond(request, self.depends, self.cards.own, self._build)

    def _build(self, viewer: Viewer[OwnT], csrf: bytes) -> bytes:
        rows = viewer.cached(("rows", *self.depends), self.rows)
        own = viewer.own
        if own.dismissed:
            rows = [row for row in rows if row[0] not in own.dismissed]
        page = self.cards.page(viewer.request, rows)
        pks = [row[0] for row in page]
        # The same for every viewer who has these items here with these marks on them: every
        # visitor, and most members (the most have none on a page).
        shown = (*self.depends, viewer.request.get_full_path(), page.paginator.count, *pks)
        key = ("listing", *shown, *(own.variant(pk) for pk in pks))
        frozen = viewer.cached(key, partial(self._page, viewer, page, shown))
        return _personal(viewer.request, frozen, csrf)

    def _page(self, viewer: Viewer[OwnT], page: Page, shown: tuple[Hashable, ...]) -> Frozen:
        html = viewer.cached(
            ("skeleton", *shown), lambda: _skeleton(self.template, self.context(page))
        )
        cards = self.cards.html(viewer, list(page), page.start_index(), self.items)
        return _freeze(html.replace(_HOLES["cards"], "".join(cards)))


@dataclass(frozen=True)
class Detail(Generic[T, OwnT]):
    """A page about one item, declared by what it shows; :meth:`respond` keeps and serves it.
    ``depends``: what it shows besides the stamp and its address (what ``gather`` reads, the
    clock); ``gather()``: the item and the ``template``'s context (None: no such item), kept
    per stamp and ``depends``; ``holes(viewer, item)``: the viewer's parts (``_shared.html``),
    by name, or an error page; ``own``: the viewer's own marks, for ``holes``."""

    template: str
    depends: tuple[Hashable, ...]
    gather: Callable[[], tuple[T, dict[str, Any]] | None]
    holes: Callable[[Viewer[OwnT], T | None], Mapping[str, str] | HttpResponse]
    own: Reader[OwnT]

    def respond(self, request: HttpRequest) -> HttpResponse:
        return _respond(request, self.depends, self.own, self._build)

    def _build(self, viewer: Viewer[OwnT], csrf: bytes) -> bytes | HttpResponse:
        key = ("detail", self.template, *self.depends)
        item, frozen = viewer.cached(key, self._shared) or (None, ())
        holes = self.holes(viewer, item)
        if isinstance(holes, HttpResponse):
            return holes
        return _personal(viewer.request, frozen, csrf, **holes)

    def _shared(self) -> tuple[T, Frozen] | None:
        if (gathered := self.gather()) is None:
            return None
        return gathered[0], _freeze(_skeleton(self.template, gathered[1]))


# --- serving ----------------------------------------------------------------------------------


def _respond(
    request: HttpRequest,
    depends: tuple[Hashable, ...],
    own: Reader[Any],
    build: Callable[[Viewer[Any], bytes], bytes | HttpResponse],  # a page, or an error page
) -> HttpResponse:
    """The page everyone without an account gets (kept whole, revalidated by ETag) for a read
    by a visitor who is not signed in and has no message waiting, with a content stamp; else
    a page built for this request alone (a member's)."""
    viewer = Viewer(request, stamp(), own)
    shareable = (
        viewer.stamp is not None
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))
    )
    if shareable:
        key = ("page", viewer.stamp, *depends, request.get_full_path())
        return _shared_page(request, key, partial(build, viewer))
    page = build(viewer, get_token(request).encode())
    return page if isinstance(page, HttpResponse) else _private(HttpResponse(page))


def _shared_page(
    request: HttpRequest, key: tuple[Hashable, ...], build: Callable[[bytes], bytes | HttpResponse]
) -> HttpResponse:
    """304 when the visitor's copy is current, else the cached page (or the one ``build``
    makes, kept). ``key`` includes the stamp and whatever else the page depends on; a
    response that ``build`` returns (an error page) is answered uncached."""
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


def _frozen(build: Callable[[bytes], bytes | HttpResponse]) -> Frozen | HttpResponse:
    page = build(_CSRF)
    return page if isinstance(page, HttpResponse) else _freeze(page)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-cache"  # a browser may keep it, but asks each time
    patch_vary_headers(response, ["Cookie"])
    return response


# --- skeletons and holes ----------------------------------------------------------------------


class _Holes:
    """``{{ hole.NAME }}``: where a viewer's part of a shared page goes."""

    def __getitem__(self, name: str) -> SafeString:
        return mark_safe(f"<!--dp:hole:{name}-->")


_HOLES = _Holes()


def _skeleton(page: str, context: dict[str, Any]) -> str:
    """Template ``page`` as every viewer sees it: without the request, so that nothing of the
    viewer can get in; their blocks are holes (``_shared.html``) and the CSRF token a marker."""
    return render_to_string(
        "_shared.html", {**context, "page_template": page, "hole": _HOLES, "csrf_token": CSRF}
    )


# A page as the cache keeps it: UTF-8 cut at its markers, text and marker names alternating,
# so that filling them in per request is one join (str.replace over a 150 kB page took ten
# times as long, and unpickling the text as a str five times as long as bytes).
Frozen = tuple[bytes, ...]
_MARKER = re.compile(rb"<!--dp:([a-z:]+)-->")


def _freeze(html: str | bytes) -> Frozen:
    return tuple(_MARKER.split(html.encode() if isinstance(html, str) else html))


def _personal(request: HttpRequest, frozen: Frozen, csrf: bytes, **parts: str) -> bytes:
    """A frozen skeleton with the viewer's parts in its holes: ``parts``, and those of
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


# --- the cache --------------------------------------------------------------------------------

_MISSING = object()


def _kept(name: str, build: Callable[[], T], keep: Callable[[T], bool] | None = None) -> T:
    store = caches["pages"]
    found = store.get(name, _MISSING)
    if found is _MISSING:
        found = build()
        if keep is None or keep(found):
            store.set(name, found)
    return found


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
    watched tables that exist. Idempotent; run again because SQLite drops a table's triggers
    when a migration rebuilds the table."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if TABLE not in tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (id, value) VALUES (1, %s) ON CONFLICT (id) DO NOTHING",
            [secrets.randbits(62)],
        )
        for sql in _trigger_sql(connection, sorted(_WATCHED & tables)):
            cursor.execute(sql)


def _trigger_sql(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    if connection.vendor == "sqlite":
        ops = ("INSERT", "UPDATE", "DELETE")
        return [_SQLITE.format(table=t, op=op) for t in tables for op in ops]
    if connection.vendor == "postgresql":
        return [_POSTGRES_FUNCTION, *(_POSTGRES_TRIGGER.format(table=t) for t in tables)]
    raise DatabaseError(f"no content-stamp triggers for {connection.vendor}")
