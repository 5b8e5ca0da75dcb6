"""A member's data download: everything the site holds about them, as one JSON file. It reads
five apps (community, feed, library, digest, api), so it sits here above them all. Deleting
the account is community's (``community.views.delete_account``): it reaches the other apps'
rows only through their foreign keys, which cascade."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from dailypapers.api import tokens
from dailypapers.community import selectors as community
from dailypapers.digest import selectors as digest
from dailypapers.feed import selectors as feed
from dailypapers.infra.http import MemberRequest
from dailypapers.library import formats as library_formats
from dailypapers.library import selectors as library


@login_required
def my_data(request: MemberRequest) -> HttpResponse:
    """Everything the site holds about the member, as one JSON file."""
    user = request.user
    member = community.find_member(user)
    data = {
        "account": {
            "username": user.username,
            "email": user.email,
            "joined": user.date_joined.isoformat(),
            "email_verified": bool(member and member.email_verified),
        },
        "votes": community.votes_of(user),
        "comments": community.comments_by(user),
        "submissions": [
            {"paper": f.paper.arxiv_id, "day": f.day.isoformat()}
            for f in feed.submissions(user).select_related("paper")
        ],
        "library": library_formats.export(list(library.collections_of(user))),
        "digest": digest.subscription_of(user),
        "follows": [{"kind": f.kind, "value": f.value} for f in library.follows_of(user)],
        "not_interested": library.dismissed(user),
        "api_tokens": [
            {"name": t.name, "created_at": t.created_at.isoformat(), "prefix": t.prefix}
            for t in tokens.of(user)
        ],
    }
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="dailypapers-{user.username}.json"'
    return response
