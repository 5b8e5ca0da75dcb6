"""How many papers a page holds, at each door: the site's pages, the JSON API, the Hugging Face
paths, MCP and the feeds. Each door pages its own way (a page number, ``?limit=``, a cursor),
but every size is said here."""

from __future__ import annotations

from django.conf import settings


def listing_size() -> int:
    """Papers a page of a site listing holds (a day, week or month; trending; new on arXiv; an
    author; for you): ``DAILYPAPERS_PAGE_SIZE``, read per request so that a changed setting
    applies."""
    return settings.DAILYPAPERS_PAGE_SIZE


SEARCH_PAGE = 20  # results on a page of the site's search
# Lists a site page shows whole, without pages: the first this many.
COLLECTION_ITEMS = 500  # a collection's papers, the member's own or a public one
PROFILE_ITEMS = 100  # a member's submissions, and their upvotes
FOLLOWING_ITEMS = 100  # the newest papers of the authors and categories a member follows

# /api/v1 and MCP: papers a page holds (``limit``) unless asked, and at most.
API_LIMIT = 20
API_MAX_LIMIT = 100
# Similar papers, and MCP's search: each a search of its own, for an assistant's context.
SHORT_LIMIT = 10
SHORT_MAX_LIMIT = 50
# The Hugging Face paths (``/api/daily_papers``, ``/api/papers/search``, ``/api/papers``).
HF_LIMIT = 50
HF_MAX_LIMIT = 100
HF_SEARCH_MAX_LIMIT = 120

FEED_ITEMS = 50  # entries of an RSS or Atom feed
DAY_FEED_ITEMS = 100  # of a day's feed: a whole day, as a rule
