"""Writes of the library: collections and what is in them."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from dailypapers.community import selectors as community
from dailypapers.papers import categories
from dailypapers.papers.models import Paper

from .models import Collection, Dismissal, Entry, Follow

MAX_COLLECTIONS = 200
MAX_DESCRIPTION = 2000  # as Collection.description says
# Each follow is a condition of the Following page's search and of the "for you" ranking.
MAX_FOLLOWS = 500

SAVED = "Saved"


class LibraryError(Exception):
    """A request the library refuses; the message is for the member."""


def saved_collection(user: User) -> Collection:
    """The member's "Saved" collection, made on first use (safe under concurrent saves)."""
    found = Collection.objects.filter(owner=user, is_saved=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Collection.objects.create(owner=user, name=SAVED, slug="saved", is_saved=True)
    except IntegrityError:  # made meanwhile by another request
        return Collection.objects.get(owner=user, is_saved=True)


def may_publish(user: User) -> bool:
    """Whether the member may make a collection public: a page anyone reads, so only a member
    who may take part (verified address, not banned) publishes one."""
    return community.can_participate(user)


def create(user: User, name: str, description: str = "", public: bool = False) -> Collection:
    name = _name(name)
    _check_publish(user, public)
    if Collection.objects.filter(owner=user).count() >= MAX_COLLECTIONS:
        raise LibraryError(f"You have {MAX_COLLECTIONS} collections, the most one member may.")
    base = slugify(name)[:90] or "collection"
    taken = set(
        Collection.objects.filter(owner=user, slug__startswith=base).values_list("slug", flat=True)
    )
    slug = next(s for s in [base, *(f"{base}-{i}" for i in range(2, 10_000))] if s not in taken)
    return Collection.objects.create(
        owner=user, name=name, slug=slug, description=_description(description), public=public
    )


def update(collection: Collection, name: str, description: str, public: bool) -> None:
    """Rename, describe, make public or private ("Saved" keeps its name)."""
    _check_publish(collection.owner, public)
    if not collection.is_saved:
        collection.name = _name(name)
    collection.description, collection.public = _description(description), public
    collection.save(update_fields=["name", "description", "public"])


def delete(collection: Collection) -> None:
    if collection.is_saved:
        raise LibraryError('"Saved" cannot be deleted; remove its papers instead.')
    collection.delete()


def add(collection: Collection, paper: Paper) -> None:
    """Put ``paper`` in the collection; already there: no change."""
    Entry.objects.get_or_create(collection=collection, paper=paper)


def add_many(pairs: Iterable[tuple[int, int]]) -> int:
    """Put each paper in its collection (``(collection id, paper id)`` pairs) in one short
    transaction, a read and an insert; those already there: no change. How many were new."""
    wanted = dict.fromkeys(pairs)  # once each, in order (``added_at`` follows it)
    if not wanted:
        return 0
    with transaction.atomic():
        held = set(
            Entry.objects.filter(
                collection_id__in={c for c, _ in wanted}, paper_id__in={p for _, p in wanted}
            ).values_list("collection_id", "paper_id")
        )
        new = [Entry(collection_id=c, paper_id=p) for c, p in wanted if (c, p) not in held]
        # ignore_conflicts: a paper the member saves meanwhile (PostgreSQL runs that beside us)
        Entry.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def remove(collection: Collection, paper: Paper) -> None:
    Entry.objects.filter(collection=collection, paper=paper).delete()


def place(user: User, paper: Paper, chosen: Iterable[int]) -> None:
    """Put ``paper`` in exactly the member's collections ``chosen`` (ids), out of the others."""
    wanted = set(chosen)
    for collection in Collection.objects.filter(owner=user):
        (add if collection.pk in wanted else remove)(collection, paper)


def dismiss(user: User, paper: Paper) -> None:
    """Mark ``paper`` "not interested" for ``user``; again: no change."""
    Dismissal.objects.get_or_create(user=user, paper=paper)


def undismiss(user: User, paper: Paper) -> None:
    Dismissal.objects.filter(user=user, paper=paper).delete()


def follow(user: User, kind: str, value: str) -> Follow:
    """Follow an author (a name) or a category (e.g. cs.CL); following again: no change. A
    member follows at most MAX_FOLLOWS."""
    value = " ".join(value.split())
    if kind not in Follow.Kind.values:
        raise LibraryError("One follows an author or a category.")
    if kind == Follow.Kind.CATEGORY and not categories.is_code(value):
        raise LibraryError(f"{value!r} is not an arXiv category such as cs.CL.")
    key = Follow.key_of(value)
    if not key or len(value) > 200:
        raise LibraryError("Give a name of at most 200 characters.")
    found = Follow.objects.filter(user=user, kind=kind, key=key).first()
    if found is not None:
        return found
    if Follow.objects.filter(user=user).count() >= MAX_FOLLOWS:
        raise LibraryError(
            f"You follow {MAX_FOLLOWS} authors and categories, the most one member may: "
            "stop following one first."
        )
    found, _ = Follow.objects.get_or_create(
        user=user, kind=kind, key=key, defaults={"value": value}
    )
    return found


def unfollow(user: User, kind: str, value: str) -> None:
    Follow.objects.filter(user=user, kind=kind, key=Follow.key_of(value)).delete()


def _check_publish(user: User, public: bool) -> None:
    if public and not may_publish(user):
        raise LibraryError("Verify your email address to share collections.")


def _description(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_DESCRIPTION or "\x00" in text:
        raise LibraryError(f"A description has at most {MAX_DESCRIPTION} characters.")
    return text


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise LibraryError("Give the collection a name.")
    if len(name) > 100 or "\x00" in name:
        raise LibraryError("A name has at most 100 characters.")
    return name
