"""The "for you" feed end to end, with the real embedding model: a member's upvotes and saves
make it about their topic, every paper says why, one more signal changes it, follows always
reach it, and a member with no signals gets a cold start."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from dailypapers.community import services as community
from dailypapers.library import services as library
from dailypapers.recommend import model, selectors
from tests import factories
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

NEWEST = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)

TOPICS = {
    "graphs": [
        "Message passing neural networks learn node embeddings on molecular graphs.",
        "Graph attention networks aggregate neighbour features for node classification.",
        "Oversmoothing in deep graph convolutional networks and how residual links help.",
        "Link prediction in knowledge graphs with relational graph neural networks.",
        "Expressive power of graph neural networks and the Weisfeiler-Lehman test.",
        "Scalable training of graph neural networks on billion-edge social graphs.",
        "Graph transformers with positional encodings from Laplacian eigenvectors.",
        "Temporal graph networks for dynamic interaction graphs.",
    ],
    "quantum": [
        "Surface codes protect logical qubits against decoherence in quantum processors.",
        "Variational quantum eigensolvers estimate molecular ground state energies.",
        "Fault-tolerant quantum computation with magic state distillation.",
        "Noise characterisation of superconducting qubits by randomized benchmarking.",
        "Quantum error mitigation by zero-noise extrapolation on near-term devices.",
        "Entanglement of trapped-ion qubits through photonic interconnects.",
        "Quantum approximate optimization for combinatorial problems on qubits.",
        "Decoding topological quantum codes with neural networks and union-find.",
    ],
    "speech": [
        "End-to-end speech recognition with conformer encoders and CTC loss.",
        "Self-supervised speech representations from raw audio waveforms.",
        "Text-to-speech synthesis with diffusion models for natural prosody.",
        "Speaker diarization in meetings with overlapping speech.",
        "Low-resource automatic speech recognition by cross-lingual transfer.",
        "Keyword spotting on microcontrollers with tiny audio networks.",
        "Voice conversion that keeps linguistic content and changes speaker identity.",
        "Streaming speech translation with simultaneous decoding.",
    ],
}
CATEGORY = {"graphs": "cs.LG", "quantum": "quant-ph", "speech": "eess.AS"}


@pytest.fixture
def corpus():
    """Eight recent papers per topic, one a day back from NEWEST, and an old one of each."""
    made: dict[str, list] = {}
    for t, (topic, sentences) in enumerate(TOPICS.items()):
        made[topic] = [
            factories.paper(
                f"2606.{t}{i:04d}",
                title=sentence.split(" with ")[0].rstrip("."),
                abstract=sentence,
                authors=[f"{topic.title()} Author{i}", f"{topic.title()} Coauthor{i}"],
                categories=[CATEGORY[topic]],
                primary_category=CATEGORY[topic],
                published=NEWEST - dt.timedelta(days=i % 6, hours=t),
            )
            for i, sentence in enumerate(sentences)
        ]
        made[f"old {topic}"] = [
            factories.paper(
                f"2601.{t}0001",
                title=f"An old paper on {topic}",
                abstract=sentences[0],
                categories=[CATEGORY[topic]],
                primary_category=CATEGORY[topic],
                published=NEWEST - dt.timedelta(days=60),
            )
        ]
    run_worker()
    return made


@pytest.fixture
def ada():
    return factories.member("ada")


def picks(user, days=selectors.DEFAULT_DAYS):
    return selectors.picks(user, 100, days=days)


def test_the_feed_is_about_what_the_member_upvoted_and_saved(corpus, ada):
    graphs = corpus["graphs"]
    community.set_vote(ada, graphs[0], True)
    library.add(library.saved_collection(ada), graphs[1])
    chosen = picks(ada)
    top = [p.paper for p in chosen[:6]]
    assert set(top) == set(graphs[2:]), [p.title for p in top]  # the six other graph papers
    assert graphs[0] not in [p.paper for p in chosen]  # liked papers are not picks
    reasons = {(p.reason.kind, p.reason.value, p.because) for p in chosen[:6]}
    assert reasons <= {("like", "upvoted", graphs[0]), ("like", "saved", graphs[1])}
    assert chosen[0].why.startswith("Close to “")

    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    page = client.get("/for-you").content.decode()
    assert page.count('class="reason"') == len(chosen)
    assert f'href="{graphs[0].get_absolute_url()}">{graphs[0].title}</a>, which you upvoted' in (
        page
    )
    assert page.index(graphs[2].title) < page.index(corpus["quantum"][0].title)


def _card(page: str, paper) -> str:
    start = page.index(f'id="card-{paper.pk}"')
    return page[start : page.index("</article>", start)]


def test_cached_cards_keep_each_picks_own_reason_and_show_new_votes(corpus, ada):
    """The cards come from the cache the listings share, the reasons are put in per request:
    a card names the paper it is close to, and a vote by anyone shows on the next request."""
    graphs = corpus["graphs"]
    community.set_vote(ada, graphs[0], True)
    library.add(library.saved_collection(ada), graphs[1])
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    first = client.get("/for-you").content.decode()
    again = client.get("/for-you").content.decode()  # the cards from the cache this time
    for pick in picks(ada):
        card = _card(again, pick.paper)
        assert card.count('class="reason"') == 1 and pick.because.title in card
        assert 'name="csrfmiddlewaretoken"' in card and "<!--dp:" not in card
        assert _card(first, pick.paper).count(pick.because.title) == card.count(pick.because.title)

    community.set_vote(factories.member("bob"), graphs[2], True)
    card = _card(client.get("/for-you").content.decode(), graphs[2])
    assert '<span class="votes-count">1</span>' in card


def test_one_more_vote_or_not_interested_changes_it_and_only_then_retrains(
    corpus, ada, monkeypatch
):
    trained = []
    original = model.train
    monkeypatch.setattr(model, "train", lambda *a, **k: trained.append(1) or original(*a, **k))
    graphs, quantum = corpus["graphs"], corpus["quantum"]
    community.set_vote(ada, graphs[0], True)
    before = [p.paper for p in picks(ada)]
    assert [p.paper for p in picks(ada)] == before and len(trained) == 1  # cached

    library.dismiss(ada, before[0])
    after = [p.paper for p in picks(ada)]
    assert before[0] not in after and len(trained) == 2

    rank = after.index(quantum[1])
    community.set_vote(ada, quantum[0], True)
    again = [p.paper for p in picks(ada)]
    assert again.index(quantum[1]) < rank and len(trained) == 3


def test_a_paper_by_an_author_of_a_liked_one_rises_and_says_so(corpus, ada):
    graphs = corpus["graphs"]
    community.set_vote(ada, graphs[0], True)
    # Twins on another topic, one by an author of the liked paper.
    twins = [
        factories.paper(
            f"2606.9000{i}",
            title="Speaker verification with x-vectors",
            abstract="Speaker verification from short utterances with x-vector embeddings.",
            authors=authors,
            categories=["eess.AS"],
            published=NEWEST,
        )
        for i, authors in enumerate([["Someone Else"], ["Someone Else", graphs[0].authors[1]]])
    ]
    run_worker()
    chosen = picks(ada)
    ranks = [[p.paper for p in chosen].index(twin) for twin in twins]
    assert ranks[1] < ranks[0]
    assert chosen[ranks[1]].why == (
        f"By {graphs[0].authors[1]}, an author of “{graphs[0].title}”, which you upvoted"
    )


def test_papers_of_followed_authors_always_come_first(corpus, ada):
    community.set_vote(ada, corpus["graphs"][0], True)
    speech = corpus["speech"][3]
    library.follow(ada, "author", speech.authors[0].upper())  # case aside
    first = picks(ada)[0]
    assert (first.paper, first.reason.kind) == (speech, "author")
    assert first.why == f"New from {speech.authors[0].upper()}, whom you follow"


def test_followed_categories_alone_give_their_papers(corpus, ada):
    library.follow(ada, "category", "quant-ph")
    chosen = picks(ada)
    assert {p.paper for p in chosen} == set(corpus["quantum"])
    assert {p.why for p in chosen} == {"New in quant-ph, which you follow"}


def test_the_window_is_counted_back_from_the_newest_paper(corpus, ada):
    community.set_vote(ada, corpus["quantum"][0], True)
    old = corpus["old quantum"][0]
    assert old not in [p.paper for p in picks(ada)]
    assert old in [p.paper for p in picks(ada, days=90)]
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    assert old.title in client.get("/for-you?days=90").content.decode()
    for bad in ("0", "91", "seven", "-3"):
        response = client.get(f"/for-you?days={bad}")
        assert response.status_code == 400
        assert "whole number from 1 to 90" in response.content.decode()


def test_a_member_without_signals_gets_a_cold_start(corpus, ada):
    factories.feature(corpus["speech"][0], NEWEST.date(), upvotes=3)
    client = Client(HTTP_HOST="localhost")
    assert client.get("/for-you").status_code == 302  # log in first
    client.force_login(ada)
    page = client.get("/for-you").content.decode()
    assert "Tell us what you read" in page
    assert 'name="value" value="cs.CL"' in page  # the site's categories, to follow
    assert 'id="follow-author"' in page
    assert corpus["speech"][0].title in page  # papers to pick from
    client.post("/follow", {"kind": "category", "value": "eess.AS", "next": "/for-you"})
    page = client.get("/for-you").content.decode()
    assert "Tell us what you read" not in page
    assert page.count("New in eess.AS, which you follow") == len(corpus["speech"])


def test_an_imported_zotero_library_seeds_the_feed(corpus, ada):
    quantum = corpus["quantum"]
    csl = [{"type": "article", "title": p.title, "URL": p.abs_url} for p in quantum[:2]]
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    upload = _upload("zotero.json", json.dumps(csl))
    assert client.post("/library/import", {"file": upload}).status_code in (200, 302)
    top = [p.paper for p in picks(ada)[:5]]
    assert set(top) <= set(quantum[2:]), [p.title for p in top]


def _upload(name: str, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="application/json")


def test_a_members_digest_carries_the_same_picks_and_never_repeats_one(corpus, ada, smtp):
    from dailypapers.digest.models import Subscriber
    from dailypapers.digest.send import send_digests
    from dailypapers.feed import periods

    graphs, quantum = corpus["graphs"], corpus["quantum"]
    community.set_vote(ada, graphs[0], True)
    library.add(library.saved_collection(ada), graphs[1])
    library.dismiss(ada, graphs[2])
    factories.feature(quantum[0], NEWEST.date(), upvotes=5)  # the day's trending paper
    Subscriber.objects.create(email=ada.email, user=ada, confirmed_at=NEWEST)
    expected = selectors.picks(ada, 5, exclude={quantum[0].pk})

    send_digests("daily", periods.day(NEWEST.date()))
    text = smtp.messages[0].get_body(("plain",)).get_content()
    trending, mine = text.split("FOR YOU", 1)
    assert quantum[0].title in trending
    lines = [line.strip() for line in mine.splitlines()]
    shown = [(line[2:], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("- ")]
    assert shown == [(p.paper.title, p.why) for p in expected] and len(shown) == 5
    for liked_or_not in graphs[:3]:
        assert f"- {liked_or_not.title}" not in mine

    send_digests("daily", periods.day(NEWEST.date() + dt.timedelta(days=1)))
    second = smtp.messages[1].get_body(("plain",)).get_content().split("FOR YOU", 1)[1]
    assert not any(p.paper.title in second for p in expected)
    assert graphs[-1].title in text + second  # the picks went on down the same ranking


def test_new_on_arxiv_is_in_for_you_order_for_a_member_and_arxivs_on_request(corpus, ada):
    from dailypapers.papers.models import Paper

    # All announced on one day, as new submissions in one of the site's categories.
    Paper.objects.update(announced=NEWEST.date(), primary_category="cs.LG", categories=["cs.LG"])
    speech = corpus["speech"]
    community.set_vote(ada, speech[0], True)
    client = Client(HTTP_HOST="localhost")
    anonymous = client.get("/new").content.decode()
    client.force_login(ada)
    mine = client.get("/new").content.decode()
    arxiv = client.get("/new?order=arxiv").content.decode()

    def first(page, n=5):
        """The first ``n`` papers as the page lists them (by their id chips)."""
        shown = [p for p in Paper.objects.all() if f"arXiv:{p.arxiv_id}<" in page]
        return sorted(shown, key=lambda p: page.index(f"arXiv:{p.arxiv_id}<"))[:n]

    assert set(first(mine)) <= {*speech, *corpus["old speech"]}, [p.title for p in first(mine)]
    assert 'in your "for you" order' in mine and "order=arxiv\">arXiv's order<" in mine
    assert first(arxiv) == first(anonymous) == sorted(first(arxiv), key=lambda p: p.arxiv_id)
    assert first(arxiv)[0] == corpus["old graphs"][0]  # 2601.00001, the lowest id


def test_the_api_gives_a_token_owner_their_picks_with_reasons(corpus, ada):
    from dailypapers.api import tokens

    community.set_vote(ada, corpus["quantum"][0], True)
    _, raw = tokens.create(ada, "script")
    client = Client(HTTP_HOST="localhost")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    r = client.get("/api/v1/me/for-you?limit=5", **auth)
    assert r.status_code == 200
    expected = selectors.picks(ada, 5)
    assert [(p["paper"]["id"], p["reason"]) for p in r.json()] == [
        (p.paper.arxiv_id, p.why) for p in expected
    ]
    assert client.get("/api/v1/me/for-you").status_code == 401
    bad = client.get("/api/v1/me/for-you?days=91", **auth)
    assert bad.status_code == 400 and "days" in bad.json()["error"]


@pytest.mark.filterwarnings("error::RuntimeWarning")  # NumPy's, on an empty window's scores
def test_a_window_with_nothing_embedded_yet_is_an_empty_feed_not_an_error(corpus, ada):
    community.set_vote(ada, corpus["graphs"][0], True)
    assert picks(ada, days=1)  # the newest day has papers, embedded
    factories.paper(
        "2607.00001", title="Announced after the rest", published=NEWEST + dt.timedelta(days=9)
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(ada)
    page = client.get("/for-you?days=1")  # only the new, unembedded paper is in the window
    assert page.status_code == 200 and "Nothing new for you" in page.content.decode()
