"""Embedding stored papers: a backfill computed on several cores, committed a batch at a time,
safe to interrupt, and its progress visible to other processes."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management.base import CommandError

from dailypapers.papers.models import Paper
from dailypapers.search import embedding, vectors
from dailypapers.search.encoder import Encoder, paper_text
from dailypapers.search.models import Embedding
from tests import factories
from tests.conftest import run_command, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

TOPICS = [
    "graph neural networks for molecules",
    "measurements of the cosmic microwave background",
    "a randomized trial of vitamin D supplementation",
    "lower bounds for learning halfspaces",
    "self-calibrating photometry for wide-field surveys",
    "sparse mixtures of experts at small scale",
    "triangles in random graphs with given degrees",
]


@pytest.fixture
def papers() -> list[Paper]:
    return [
        factories.paper(title=topic.capitalize(), abstract=f"We study {topic}. " * (1 + i % 3))
        for i, topic in enumerate(TOPICS)
    ]


def stored() -> dict[int, np.ndarray]:
    return dict(Embedding.objects.values_list("paper_id", "vector"))


def test_workers_store_what_one_call_at_a_time_does(papers, settings):
    assert settings.DAILYPAPERS_EMBED_THREADS == 2  # the default: two calls at once
    assert embedding.embed_missing(batch_size=3) == len(TOPICS)
    together = stored()
    one_thread = embedding.encoder(threads=1)
    texts = [paper_text(p.title, p.abstract) for p in papers]
    alone = one_thread.encode(texts)
    for paper, vector in zip(papers, alone, strict=True):
        np.testing.assert_allclose(together[paper.pk], vector, atol=1e-6)
    # workers=1: one call at a time on the query encoder's intra-op threads, as before.
    Embedding.objects.all().delete()
    assert embedding.embed_missing(batch_size=3, workers=1) == len(TOPICS)
    for paper_id, vector in stored().items():
        assert float(vector @ together[paper_id]) > 0.9999
    assert vectors.count() == len(TOPICS)


def test_progress_follows_a_backfill_batch_by_batch(papers):
    assert embedding.progress() == (0, len(TOPICS))  # counted from the tables
    seen = []
    embedding.embed_missing(batch_size=3, progress=lambda n: seen.append(embedding.progress()))
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert embedding.progress() == (7, 7) and embedding.progress().embedded == 7
    # A paper changed after its embedding: the next run counts it again, from the tables.
    papers[0].abstract = "Something else entirely."
    papers[0].save()
    cache.delete(embedding.PROGRESS_KEY)
    assert embedding.progress() == (6, 7)
    embedding.embed_missing()
    assert embedding.progress() == (7, 7)


def test_progress_without_a_model(papers, settings):
    settings.DAILYPAPERS_SEMANTIC_SEARCH = False
    assert embedding.progress() is None


def test_an_interrupted_backfill_keeps_its_committed_batches(papers, monkeypatch):
    encode, calls = Encoder.encode, []

    def interrupted(self, texts, *args, **kwargs):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return encode(self, texts, *args, **kwargs)

    monkeypatch.setattr(Encoder, "encode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        embedding.embed_missing(batch_size=2)
    assert len(stored()) == 4 and embedding.progress() == (4, 7)
    monkeypatch.setattr(Encoder, "encode", encode)
    assert embedding.embed_missing(batch_size=2) == 3  # goes on where it stopped
    assert len(stored()) == 7 and vectors.count() == 7


def test_embed_command_says_where_it_stopped(papers, monkeypatch):
    encode = Encoder.encode
    calls = []

    def interrupted(self, texts, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return encode(self, texts, *args, **kwargs)

    monkeypatch.setattr(Encoder, "encode", interrupted)
    with pytest.raises(SystemExit) as stopped:
        run_command("embed", "--batch-size", 4, "--verbosity", 0)
    assert stopped.value.code == 130
    assert len(stored()) == 4
    monkeypatch.setattr(Encoder, "encode", encode)
    out, _ = run_command("embed", "--workers", 1)
    assert "embedded 3 papers" in out


def test_embed_command_refuses_bad_workers(papers):
    with pytest.raises(CommandError, match="workers must be between 1 and 64, not 0"):
        run_command("embed", "--workers", 0)


def test_worker_task_embeds_new_papers(papers):
    run_worker()  # the papers' creation queued embed_new
    assert len(stored()) == len(TOPICS)
    assert embedding.progress() == (7, 7)
