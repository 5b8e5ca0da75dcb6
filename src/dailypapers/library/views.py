"""The member's library: collections, saving from any list or paper page (htmx, or a plain
form), export and import, and public collections' pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dailypapers.community import selectors as community
from dailypapers.community.decorators import next_url, participant_required
from dailypapers.feed import paging
from dailypapers.infra import limits
from dailypapers.infra.http import MemberRequest, too_large
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import formats, selectors, services
from .models import Collection

MAX_IMPORT = 5 * 1024 * 1024


@login_required
def library(request: MemberRequest) -> HttpResponse:
    """The member's collections, and a form for a new one."""
    if request.method == "POST":
        try:
            c = services.create(request.user, request.POST.get("name", ""))
        except services.LibraryError as exc:
            messages.error(request, str(exc))
        else:
            return redirect(c.get_absolute_url())
    services.saved_collection(request.user)  # "Saved" is there from the start
    context = {
        "collections": selectors.collections_of(request.user),
        "can_import": community.can_participate(request.user),  # as import_file requires
        "max_entries": f"{formats.MAX_ENTRIES:,}",
    }
    return render(request, "library/library.html", context)


@login_required
def collection(request: MemberRequest, pk: int) -> HttpResponse:
    """One of the member's collections: its papers; rename, describe, share, delete."""
    c = _own(request, pk)
    if request.method == "POST":
        return _change(request, c)
    context = {
        "collection": c,
        "papers": selectors.papers_in(c)[: paging.COLLECTION_ITEMS],
        "can_share": services.may_publish(request.user),
    }
    return render(request, "library/collection.html", context)


def _change(request: MemberRequest, c: Collection) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "delete":
            services.delete(c)
            messages.success(request, f"{c.name} is deleted.")
            return redirect("library")
        if action == "remove":
            paper = get_object_or_404(Paper, pk=request.POST.get("paper", 0) or 0)
            services.remove(c, paper)
        else:
            public = request.POST.get("public") == "on"
            services.update(
                c, request.POST.get("name", c.name), request.POST.get("description", ""), public
            )
            messages.success(request, "Saved your changes.")
    except services.LibraryError as exc:
        messages.error(request, str(exc))
    return redirect(c.get_absolute_url())


def shared(request: HttpRequest, username: str, slug: str) -> HttpResponse:
    """A public collection's page, for anyone."""
    c = selectors.public(username, slug)
    if c is None:
        raise Http404("no such public collection")
    context = {"collection": c, "papers": selectors.papers_in(c)[: paging.COLLECTION_ITEMS]}
    return render(request, "library/shared.html", context)


@require_POST
@login_required
def save(request: MemberRequest, pk: int) -> HttpResponse:
    """Put a paper in "Saved", or take it out (``action=remove``)."""
    paper = get_object_or_404(papers.visible(), pk=pk)
    target = services.saved_collection(request.user)
    if request.POST.get("action") == "remove":
        services.remove(target, paper)
    else:
        services.add(target, paper)
    if request.htmx:
        context = {"paper": paper, "saved": selectors.saved_ids(request.user, [pk])}
        return render(request, "library/_save.html", context)
    return redirect(next_url(request, paper.get_absolute_url()))


@require_POST
@login_required
def not_interested(request: MemberRequest, pk: int) -> HttpResponse:
    """Take a paper out of the member's feeds (``action=undo`` puts it back)."""
    paper = get_object_or_404(Paper, pk=pk)
    undo = request.POST.get("action") == "undo"
    (services.undismiss if undo else services.dismiss)(request.user, paper)
    if request.htmx and not undo:
        back = next_url(request, paper.get_absolute_url())  # the page the card was on
        return render(request, "library/_dismissed.html", {"paper": paper, "next": back})
    if not undo:
        messages.success(request, f"arXiv:{paper.arxiv_id} is out of your feeds.")
    return redirect(next_url(request, paper.get_absolute_url()))


@require_POST
@login_required
def place(request: MemberRequest, pk: int) -> HttpResponse:
    """The paper page's form: the paper in exactly the ticked collections (and a new one)."""
    paper = get_object_or_404(papers.visible(), pk=pk)
    chosen = {int(v) for v in request.POST.getlist("collection") if v.isascii() and v.isdigit()}
    if request.POST.get("new", "").strip():
        try:
            chosen.add(services.create(request.user, request.POST["new"]).pk)
        except services.LibraryError as exc:
            messages.error(request, str(exc))
    services.place(request.user, paper, chosen)
    messages.success(request, "Your collections are updated.")
    return redirect(f"{paper.get_absolute_url()}#collections")


@login_required
def export(request: MemberRequest, pk: int | None = None, kind: str = "json") -> HttpResponse:
    """A collection (or all of them) as JSON, or as BibTeX."""
    chosen = [_own(request, pk)] if pk is not None else list(selectors.collections_of(request.user))
    name = chosen[0].slug if pk is not None else "library"
    if kind == "bib":
        rows = [p for c in chosen for p in selectors.papers_in(c)]
        unique = list({p.pk: p for p in rows}.values())
        body, content_type = formats.to_bibtex(unique), "application/x-bibtex; charset=utf-8"
    else:
        body, content_type = formats.to_json(chosen), "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@require_POST
@participant_required
@limits.LIBRARY_IMPORT.view
def import_file(request: MemberRequest) -> HttpResponse:
    """Import a library export (JSON) back, collections by name and papers by arXiv id; or a
    BibTeX file or Zotero CSL-JSON export into "Saved"."""
    upload = request.FILES.get("file")
    if upload is not None and (upload.size or 0) > MAX_IMPORT:  # larger ones: uploads.SizeLimit
        return too_large(request, MAX_IMPORT)
    if upload is None:
        messages.error(
            request,
            f"Choose a file of at most {formats.MAX_ENTRIES:,} entries and 5 MB: an export of "
            "this site, BibTeX or CSL-JSON.",
        )
        return redirect("library")
    try:
        report = formats.import_file(request.user, upload.read().decode("utf-8", "replace"))
    except (formats.BadExport, services.LibraryError) as exc:
        messages.error(request, str(exc))
        return redirect("library")
    note = f"Imported {report.added} new paper(s) into {report.collections} collection(s)."
    stopped = report.stored < report.entries
    if stopped:
        note += (
            f" The import stopped after {report.stored:,} of {report.entries:,} entries: import "
            "the same file again for the rest (what came in is skipped)."
        )
    if report.not_found:
        shown = ", ".join(report.not_found[:20]) + (" …" if len(report.not_found) > 20 else "")
        note += f" Not in this corpus ({len(report.not_found):,}): {shown}."
    (messages.error if stopped else messages.success)(request, note)
    return redirect("library")


@login_required
def following(request: MemberRequest) -> HttpResponse:
    """What the member follows, and the newest papers of those authors and categories."""
    context = {
        "follows": selectors.follows_of(request.user),
        "papers": selectors.following_feed(request.user),
    }
    return render(request, "library/following.html", context)


@require_POST
@login_required
def follow(request: MemberRequest) -> HttpResponse:
    """Follow (or, with ``action=remove``, stop following) an author or a category."""
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    if request.POST.get("action") == "remove":
        services.unfollow(request.user, kind, value)
        messages.success(request, f"You no longer follow {value}.")
    else:
        try:
            services.follow(request.user, kind, value)
        except services.LibraryError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"You follow {value}: their new papers are under Following and For you."
            )
    return redirect(next_url(request, "/following"))


def _own(request: MemberRequest, pk: int) -> Collection:
    c = selectors.owned(request.user, pk)
    if c is None:
        raise Http404("not one of your collections")
    return c
