"""A small site for the open-data tests: papers featured on two days of one ISO week, member
votes and comments, the keyword index and embeddings built."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from dailypapers.community import services
from dailypapers.papers.models import Paper
from tests import factories
from tests.conftest import run_worker

MONDAY, TUESDAY = dt.date(2025, 9, 8), dt.date(2025, 9, 9)


@dataclass
class Site:
    residual: Paper
    attention: Paper
    atari: Paper
    old_style: Paper
    ada: User


@pytest.fixture
def site(transactional_db) -> Site:
    residual = factories.paper(
        "1512.03385",
        title="Deep Residual Learning for Image Recognition",
        abstract="We present a residual learning framework with $\\mathcal{O}(L)$ layers for "
        "image classification on ImageNet, 50% deeper than before.",
        authors=["Kaiming He", "Xiangyu Zhang"],
        categories=["cs.CV"],
        primary_category="cs.CV",
        code_url="https://github.com/KaimingHe/deep-residual-networks",
        # Hugging Face's fields, written here (their own AI text is not CC0).
        github_stars=6700,
        ai_summary="Residual connections let very deep networks train.",
        ai_keywords=["residual learning", "ImageNet"],
        organization="msra",
        organization_fullname="Microsoft Research Asia",
        version=2,
        published=dt.datetime(2015, 12, 10, tzinfo=dt.UTC),
    )
    attention = factories.paper(
        "1706.03762",
        title="Attention Is All You Need",
        abstract="We propose the Transformer, based solely on attention, for translation.",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        categories=["cs.CL", "cs.LG"],
        published=dt.datetime(2017, 6, 12, tzinfo=dt.UTC),
    )
    atari = factories.paper(
        "1312.05602",
        title="Playing Atari with Deep Reinforcement Learning",
        abstract="A deep learning model learns control policies from raw pixels.",
        authors=["Volodymyr Mnih"],
        categories=["cs.LG"],
        primary_category="cs.LG",
        published=dt.datetime(2013, 12, 19, tzinfo=dt.UTC),
    )
    old_style = factories.paper(
        "hep-th/9901001",
        title="An old-style identifier",
        categories=["hep-th"],
        primary_category="hep-th",
        published=dt.datetime(1999, 1, 4, tzinfo=dt.UTC),
    )
    factories.feature(residual, MONDAY, upvotes=10, comments=2, hour=8)
    factories.feature(attention, MONDAY, upvotes=3, hour=9)
    factories.feature(atari, TUESDAY, upvotes=1, hour=7)
    ada, alan = factories.member("ada"), factories.member("alan")
    services.set_vote(ada, attention, True)
    services.set_vote(alan, attention, True)
    services.add_comment(ada, residual, "Still the baseline.")
    run_worker()  # keyword index and embeddings
    return Site(residual, attention, atari, old_style, ada)
