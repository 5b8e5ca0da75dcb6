"""The API's response and request shapes, for validation and the OpenAPI document; the values
come from ``shapes``. Hugging Face's names are kept as they write them (camelCase)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

HF_TIME = "UTC, always with milliseconds: 2025-09-08T00:00:00.000Z"


class Error(Schema):
    error: str = Field(description="What was wrong, in words.")


# --- Hugging Face's shape -------------------------------------------------------------------


class HfAuthor(Schema):
    name: str


class HfUser(Schema):
    name: str = Field(description="The member's user name (here, or on the upstream).")
    user: str = Field(description="The same, where huggingface_hub reads it.")
    fullname: str
    type: str = "user"


class HfOrganization(Schema):
    name: str = Field(description="Its name on Hugging Face.")
    fullname: str


class HfPaper(Schema):
    id: str = Field(description="arXiv id, without version.")
    authors: list[HfAuthor]
    publishedAt: str | None = Field(description=f"arXiv submission of v1. {HF_TIME}")
    submittedOnDailyAt: str | None = Field(description=f"When it was featured. {HF_TIME}")
    submittedOnDailyBy: HfUser | None = Field(
        description="Who featured it: a member here, else the upstream's member, if known."
    )
    title: str
    summary: str = Field(description="The abstract, TeX as the authors wrote it.")
    upvotes: int = Field(description="Members' upvotes plus those of the upstreams.")
    numComments: int
    memberUpvotes: int = Field(
        description="The part of upvotes this site's own members cast (not Hugging Face's): a "
        "dailypapers site that follows this one counts only this part, so no vote counts twice."
    )
    memberComments: int = Field(description="The part of numComments written here.")
    githubRepo: str | None
    githubStars: int | None = Field(description="As Hugging Face last counted them.")
    projectPage: str | None
    ai_summary: str | None = Field(description="Hugging Face's one-sentence AI summary.")
    ai_keywords: list[str] | None = Field(description="Hugging Face's AI keywords.")
    organization: HfOrganization | None


class HfDailyPaper(Schema):
    paper: HfPaper
    publishedAt: str | None = Field(
        description=f"arXiv's date, as Hugging Face writes it. {HF_TIME}"
    )
    title: str
    summary: str
    numComments: int
    submittedBy: HfUser | None
    organization: HfOrganization | None
    ai_summary: str | None = Field(description="As in paper, for huggingface_hub's PaperInfo.")
    ai_keywords: list[str] | None
    githubRepo: str | None
    githubStars: int | None
    projectPage: str | None
    isAuthorParticipating: bool | None = Field(description="Not known here: always null.")


# --- dailypapers' own (/api/v1) -------------------------------------------------------------


class Links(Schema):
    page: str = Field(description="The paper's page on this site.")
    abs: str
    pdf: str
    code: str | None
    project: str | None


class Votes(Schema):
    total: int = Field(description="members + imported: what rankings use.")
    members: int
    imported: int = Field(description="The upstreams' counted upvotes (Hugging Face's, ...).")


class HuggingFace(Schema):
    """What Hugging Face's daily papers said of the paper, as last imported; its AI text is
    Hugging Face's, not CC0."""

    ai_summary: str = Field(description="One sentence; empty if none.")
    ai_keywords: list[str]
    github_stars: int | None
    organization: HfOrganization | None


class UpstreamPart(Schema):
    name: str = Field(description="e.g. Hugging Face")
    url: str = Field(description="The upstream's base address.")
    upvotes: int = Field(description="As the upstream shows them.")
    counted_upvotes: int = Field(description="The part counted here (see /about/ranking).")
    comments: int
    submitted_by: str | None = Field(description="The upstream's member who featured it.")


class Featuring(Schema):
    day: dt.date
    featured_at: dt.datetime
    source: str = Field(description="member, upstream or rule.")
    submitted_by: str | None = Field(description="The member here who submitted it.")
    upstreams: list[UpstreamPart] = Field(description="The upstreams that featured it that day.")


class Paper(Schema):
    id: str = Field(description="arXiv id, without version.")
    version: int | None
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    primary_category: str
    published: dt.datetime | None = Field(description="Submission of v1.")
    updated: dt.datetime | None = Field(description="Latest version.")
    announced: dt.date | None = Field(description="First arXiv announcement seen.")
    comments: str = Field(description="The authors' comments on arXiv (pages, venue).")
    journal_ref: str
    doi: str
    license: str
    links: Links
    hugging_face: HuggingFace
    votes: Votes
    num_comments: int
    featured: list[Featuring] = Field(
        description="Its featurings, newest first (on a period's feed: those in the period)."
    )


class PaperPage(Schema):
    count: int = Field(description="Papers in all pages.")
    page: int
    limit: int
    next: str | None = Field(description="The next page's address, if there is one.")
    results: list[Paper]


class PaperCursorPage(Schema):
    next: str | None = Field(description="The next page's address (also in the Link header).")
    results: list[Paper]


class SearchPage(PaperPage):
    semantic: bool = Field(description="Whether meaning (embeddings) took part in the ranking.")
    notice: str | None = Field(description="Why semantic search was off, if it was.")


class CollectionPage(PaperPage):
    name: str
    description: str
    owner: str
    url: str = Field(description="Its page on this site.")


class Comment(Schema):
    id: int
    author: str
    body: str = Field(description="Markdown source.")
    created_at: dt.datetime
    edited_at: dt.datetime | None
    parent: int | None
    replies: list[Comment] = []


class Category(Schema):
    code: str
    name: str
    papers: int = Field(description="Visible papers with this primary category.")


class Me(Schema):
    username: str
    can_participate: bool = Field(description="Verified address, not banned: may write.")


class Pick(Schema):
    paper: Paper
    reason: str = Field(description="Why it is picked, e.g. the saved paper it is closest to.")


class SubmitIn(Schema):
    paper: str = Field(description="An arXiv id or abs/pdf link.", max_length=300)


class SubmissionOut(Schema):
    """A submission of a paper the corpus lacked, which the site fetches from arXiv."""

    id: int
    arxiv_id: str
    status: Literal["fetching", "featured", "failed"] = Field(
        description="fetching: ask again in a few seconds (GET /api/v1/submissions/{id})."
    )
    message: str = Field(description="Why it failed; empty otherwise.")


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=10_000, description="Markdown.")
    parent: int | None = Field(None, description="The comment this one replies to.")

    @field_validator("body")
    @classmethod
    def _no_nul(cls, body: str) -> str:
        if "\x00" in body:  # as Django's form fields refuse it: the database cannot store it
            raise ValueError("NUL characters are not allowed")
        return body


class VoteOut(Schema):
    voted: bool
    votes: int
