"""Search end to end on the test database (SQLite, then PostgreSQL): the keyword index stays in
step with the corpus, the embedding model finds papers by meaning, fusion and filters order
them, and the page shows it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from django.db import connection

from dailypapers.papers.models import Paper
from dailypapers.search import embedding, keyword_index, lexical, selectors, vectors
from dailypapers.search.encoder import Encoder, ModelUnavailable
from dailypapers.search.engines import postgres_text
from dailypapers.search.query import parse_query
from tests import factories
from tests.conftest import cli_env, import_files, run_command, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

CORPUS = [
    # (arxiv id, title, abstract, authors, categories, published year)
    (
        "1512.03385",
        "Deep Residual Learning for Image Recognition",
        "We present a residual learning framework to ease the training of networks that are "
        "substantially deeper than those used previously, for image classification on ImageNet.",
        ["Kaiming He", "Xiangyu Zhang"],
        ["cs.CV"],
        2015,
    ),
    (
        "1706.03762",
        "Attention Is All You Need",
        "The dominant sequence transduction models are based on complex recurrent networks. "
        "We propose the Transformer, based solely on attention, for machine translation.",
        ["Ashish Vaswani", "Noam Shazeer"],
        ["cs.CL", "cs.LG"],
        2017,
    ),
    (
        "2107.00001",
        "Protein Structure Prediction with Evolutionary Couplings",
        "Predicting the three-dimensional fold of amino acid chains from sequence alignments.",
        ["Maria Schölkopf"],
        ["q-bio.BM"],
        2021,
    ),
    (
        "1312.05602",
        "Playing Atari with Deep Reinforcement Learning",
        "A deep learning model learns control policies directly from raw pixels using "
        "reinforcement learning, playing video games at a human level.",
        ["Volodymyr Mnih"],
        ["cs.LG"],
        2013,
    ),
    (
        "2401.00002",
        "Surface Codes for Quantum Error Correction",
        "Logical qubits protected against decoherence by topological stabilizer codes.",
        ["Austin Fowler"],
        ["quant-ph"],
        2024,
    ),
    (
        "2402.00003",
        "A Survey of Graph Neural Networks",
        "We review message passing networks for learning on graphs and their applications.",
        ["Zonghan Wu"],
        ["cs.LG"],
        2024,
    ),
    (
        "2403.00004",
        "Message Passing Neural Networks for Molecules",
        "Graph networks with message passing predict quantum chemical properties of molecules.",
        ["Justin Gilmer"],
        ["cs.LG", "physics.chem-ph"],
        2017,
    ),
]


@pytest.fixture
def corpus():
    papers = {}
    for arxiv_id, title, abstract, authors, cats, year in CORPUS:
        papers[arxiv_id] = factories.paper(
            arxiv_id,
            title=title,
            abstract=abstract,
            authors=authors,
            categories=cats,
            primary_category=cats[0],
            published=dt.datetime(year, 6, 1, tzinfo=dt.UTC),
        )
    keyword_index.sync()  # what the worker does after papers change
    return papers


@pytest.fixture
def embedded(corpus):
    try:
        embedding.encoder()
    except ModelUnavailable as exc:
        pytest.fail(f"the embedding model is part of setup: {exc}")
    assert embedding.embed_missing() == len(CORPUS)
    return corpus


def ids(found: list[int]) -> list[str]:
    names = dict(Paper.objects.values_list("id", "arxiv_id"))
    return [names[i] for i in found]


def lex(text: str, limit: int = 20) -> list[str]:
    """The keyword list for ``text``, once the index has caught up with the corpus."""
    keyword_index.sync()
    q = parse_query(text)
    if not q.has_text:
        return ids(lexical.filtered(q, limit))
    return ids([pk for pk, _ in lexical.ranked(q, limit)])


def test_keyword_search_and_filters(corpus):
    assert lex("residual") == ["1512.03385"]
    assert "1706.03762" in lex("network")  # stemmed: "network" finds "networks"
    # every word first, then papers with some of them
    assert lex("message passing molecules") == ["2403.00004", "2402.00003"]
    assert lex('"message passing" -survey') == ["2403.00004"]
    assert lex("author:vaswani") == ["1706.03762"]
    assert lex("author:scholkopf") == ["2107.00001"]  # accents folded
    assert lex('author:"kaiming he" author:zhang') == ["1512.03385"]
    assert set(lex("cat:physics")) == {"2403.00004"}  # an archive takes its categories
    assert lex("cat:cs.cv") == ["1512.03385"]
    assert lex("networks after:2020 before:2025") == ["2402.00003"]
    assert lex("cat:cs.LG before:2014") == ["1312.05602"]


@pytest.mark.parametrize(
    "text",
    ['"', "-", ":", "*", "NEAR(a b)", "a AND OR NOT b", "(", "title:x", "'; drop", "^x", "é-"],
)
def test_search_syntax_never_reaches_the_engine(corpus, text):
    # Inert beside a real word: no error, no operator taking effect, the word still finds.
    results = selectors.search(f"residual {text}", semantic=False)
    assert ids(results.ids)[:1] == ["1512.03385"]


def test_index_follows_updates_deletes_and_hiding(corpus):
    paper = corpus["2401.00002"]
    paper.title = "Color Codes for Fault Tolerance"
    paper.save()
    assert lex("surface") == [] and lex("color codes") == ["2401.00002"]
    paper.hidden = True
    paper.save()
    assert lex("color codes") == []
    paper.delete()
    assert lex("fault") == []


def find(text: str) -> list[str]:
    """What the site's keyword search returns, without syncing the index first."""
    return ids([pk for pk, _ in lexical.ranked(parse_query(text), 20)])


def test_the_worker_indexes_an_import_and_drops_what_is_deleted_or_hidden(write_jsonl):
    record = {
        "id": "2501.00001",
        "title": "Sparse Autoencoders Find Interpretable Features",
        "abstract": "Dictionary learning on activations.",
        "authors": "Hoagy Cunningham",
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025 10:00:00 GMT"}],
    }
    import_files("arxiv", write_jsonl("a.jsonl", [record]))
    assert find("autoencoders") == []  # the index follows the worker, not the import
    run_worker()
    assert find("autoencoders") == ["2501.00001"]
    newer = {
        **record,
        "title": "Sparse Dictionaries Find Monosemantic Features",
        "versions": [
            *record["versions"],
            {"version": "v2", "created": "Tue, 7 Jan 2025 10:00:00 GMT"},
        ],
    }
    import_files("arxiv", write_jsonl("b.jsonl", [newer]))
    run_worker()
    assert find("autoencoders") == [] and find("monosemantic") == ["2501.00001"]
    paper = Paper.objects.get(arxiv_id="2501.00001")
    Paper.objects.filter(pk=paper.pk).update(hidden=True)  # no save(), no signal: the trigger
    from dailypapers.search.tasks import index_papers

    index_papers.enqueue()
    run_worker()
    assert find("monosemantic") == []
    Paper.objects.filter(pk=paper.pk).update(hidden=False)
    keyword_index.sync()
    assert find("monosemantic") == ["2501.00001"]
    Paper.objects.filter(pk=paper.pk).delete()
    keyword_index.sync()
    assert find("monosemantic") == [] and keyword_index.pending() == 0


def test_a_moderators_hide_asks_the_worker_once(db):
    from django_tasks_db.models import DBTaskResult

    from dailypapers.papers import services as paper_services

    paper = factories.paper("2001.00021")
    DBTaskResult.objects.all().delete()
    paper_services.set_hidden(paper, True)
    tasks = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert tasks == ["dailypapers.search.tasks.embed_new", "dailypapers.search.tasks.index_papers"]


def test_reindex_builds_the_index_from_the_table(corpus):
    assert run_command("reindex")[0].strip() == f"indexed {len(CORPUS)} papers"
    assert find("residual") == ["1512.03385"]
    if connection.vendor == "postgresql":  # vacuumed, for index-only scans of the postings
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = %s", ["search_posting"]
            )
            assert cursor.fetchone()[0] is not None
    factories.paper("2501.00077", title="Residual flows")  # queued for the next sync
    run_command("reindex")
    assert keyword_index.pending() == 0 and set(find("residual")) == {"1512.03385", "2501.00077"}


def test_semantic_search_finds_papers_without_shared_words(embedded):
    q = "identifying objects in pictures"
    assert lex(q) == []
    results = selectors.search(q)
    assert results.semantic and ids(results.ids)[0] == "1512.03385"
    results = selectors.search("qubits that survive noise")
    assert ids(results.ids)[0] == "2401.00002"


def test_filters_apply_to_semantic_results(embedded):
    results = selectors.search("learning from data cat:cs.LG -survey")
    found = ids(results.ids)
    assert found and set(found) <= {"1706.03762", "1312.05602", "2403.00004"}


def test_exact_id_and_exact_title_come_first(embedded):
    assert ids(selectors.search("arXiv:1706.03762v7").ids) == ["1706.03762"]
    assert ids(selectors.search("https://arxiv.org/abs/1706.03762").ids) == ["1706.03762"]
    assert selectors.search("2501.99999").ids == []
    # "networks" is in many papers; the one titled exactly so goes first
    results = selectors.search("a survey of graph neural networks")
    assert ids(results.ids)[0] == "2402.00003" and results.exact == embedded["2402.00003"].pk
    # ...even when keywords alone rank another paper higher
    factories.paper(
        "2501.00011", title="You May Not Need Attention", abstract="All you need is attention. " * 9
    )
    assert lex("attention is all you need")[0] == "2501.00011"
    assert ids(selectors.search("Attention is all you need!").ids)[0] == "1706.03762"


def test_a_papers_name_finds_the_paper_that_coined_it(db):
    """The name before a title's colon is what people type; of several papers that start
    with it, the first published coined it. Papers that only say the name more go after."""
    day = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    coined = factories.paper(
        "2509.00021", title="We-Math 2.0: A Versatile MathBook System", published=day
    )
    factories.paper(
        "2509.00022",
        title="We-Math 2.0: Errata and an Update",
        published=day + dt.timedelta(days=30),
    )
    factories.paper(
        "2509.00023",
        title="Benchmarking We-Math 2.0 against We-Math",
        abstract="We-Math 2.0, We-Math 2.0 and We-Math 2.0 again: we math.",
        published=day,
    )
    factories.paper("2509.00024", title="MinerU2.5-Pro: Parsing at Scale", published=day)
    assert lex("we-math 2.0")[0] == "2509.00023"  # keywords alone: the one saying it most
    for query, named in [
        ("We-Math 2.0", coined.arxiv_id),
        ("we math 2.0", coined.arxiv_id),
        ("MinerU2.5-Pro", "2509.00024"),
    ]:
        results = selectors.search(query, semantic=False)
        assert ids(results.ids)[0] == named, query
        assert results.exact is not None
    assert selectors.search("We-Math 2.0 cat:cs.CV", semantic=False).exact is None  # filtered
    assert selectors.search("Parsing at Scale", semantic=False).exact is None  # not a name


def test_stop_words_break_ties_but_match_nothing(db):
    remembered = factories.paper(
        "2001.00001",
        title="Extensions",
        abstract="Here we present an extension of these ideas to the microelectronic domain.",
    )
    factories.paper("2001.00002", title="Extensions", abstract="Ideas: microelectronic domain.")
    factories.paper("2001.00003", title="Other", abstract="Here we are, with these and the rest.")
    found = lex("here we an extension of these ideas the microelectronic domain")
    assert found == [remembered.arxiv_id, "2001.00002"]  # the shorter text, first without them
    assert lex("the rest") == ["2001.00003"]  # "the" alone does not make a paper match
    assert lex("here we are") == ["2001.00003", remembered.arxiv_id]  # only stop words: they count


@pytest.mark.parametrize("probes", [50_000, 1])  # PostgreSQL: scored whole, or pooled
def test_an_authors_papers_by_the_words(db, probes, monkeypatch):
    monkeypatch.setattr(postgres_text, "PROBES", probes)
    wang = ["Wei Wang", "Ana Li"]
    few = factories.paper(
        "2001.00011", title="Graph learning", abstract="On the graph.", authors=wang
    )
    many = factories.paper("2001.00012", title="Graph graph", abstract="Graph graph.", authors=wang)
    factories.paper("2001.00013", title="Protein folding", abstract="On the fold.", authors=wang)
    factories.paper("2001.00014", title="Graph graph graph", abstract="Graph.", authors=["Ana Li"])
    assert lex("author:wang graph") == [many.arxiv_id, few.arxiv_id]
    # "the" lifts the paper that has it, and does not bring in the one without "graph"
    assert lex("author:wang the graph") == [few.arxiv_id, many.arxiv_id]
    assert lex("author:wang folding") == ["2001.00013"]
    assert lex("author:wang nothing") == []


def test_sorts(embedded):
    assert ids(selectors.search("networks", sort="date").ids)[0] == "2402.00003"  # 2024
    member = factories.member("voter")
    from dailypapers.community import services

    services.set_vote(member, embedded["1512.03385"], True)
    assert ids(selectors.search("networks", sort="votes").ids)[0] == "1512.03385"
    assert ids(selectors.search("cat:cs.LG", sort="date").ids)[0] == "2402.00003"


def test_keyword_only_when_the_model_is_off(corpus, settings):
    settings.DAILYPAPERS_SEMANTIC_SEARCH = False
    results = selectors.search("residual")
    assert not results.semantic and "turned off" in results.semantic_error
    assert ids(results.ids) == ["1512.03385"]


def test_keyword_only_until_papers_are_embedded(corpus):
    results = selectors.search("residual")
    assert not results.semantic and "dailypapers embed" in results.semantic_error
    assert ids(results.ids) == ["1512.03385"]


def test_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(ModelUnavailable, match="build_model"):
        Encoder.load(tmp_path / "nothing-here")


def test_stale_embeddings_are_redone_and_published(embedded):
    assert embedding.missing() == 0 and vectors.count() == len(CORPUS)
    paper = embedded["2107.00001"]
    paper.abstract = "Folding proteins with attention over multiple sequence alignments."
    paper.save()
    factories.paper("2501.00009", title="Speech recognition with transducers", abstract="")
    keyword_index.sync()
    assert embedding.missing() == 2
    out, _ = run_command("embed")
    assert "embedded 2 papers" in out
    assert vectors.count() == len(CORPUS) + 1
    top = ids(selectors.search("transcribing spoken audio to text").ids)
    assert top[0] == "2501.00009"


def test_fusion_combines_normalised_scores():
    keyword = [(1, 10.0), (2, 9.5), (3, 2.0)]  # BM25: divided by the top score
    semantic = [(3, 0.80), (2, 0.70), (4, 0.60)]  # cosine: (c - 0.25) / 0.75
    # 2 is nearly as good on words as 1 and close in meaning; 3 is close in meaning but far
    # behind on words; 4 only semantic: 0.7*0.95+0.3*0.6 > 0.7*1 > 0.7*0.2+0.3*0.73 > 0.3*0.47
    assert selectors.fuse(keyword, semantic, weight=0.7) == [2, 1, 3, 4]
    # the site's weight: a close call on words still goes to meaning, a clear lead does not
    assert selectors.fuse([(1, 10.0), (2, 9.9)], [(2, 0.7)]) == [2, 1]
    assert selectors.fuse([(1, 10.0), (2, 8.0)], [(2, 0.95)]) == [1, 2]
    assert selectors.fuse([], semantic) == [3, 2, 4]
    assert selectors.fuse(keyword, []) == [1, 2, 3]


def test_search_page(client, embedded):
    page = client.get("/search", {"q": "residual learning"}).content.decode()
    assert "<mark>Residual</mark>" in page and "keyword and semantic" in page
    page = client.get("/search", {"q": "networks", "cat": "cs.CV", "sort": "date"}).content.decode()
    assert "Deep Residual" in page and "Attention Is All" not in page
    assert client.get("/search", {"q": "after:soon x"}).status_code == 200
    assert "YYYY-MM-DD" in client.get("/search", {"q": "after:soon x"}).content.decode()
    page = client.get("/search", {"q": "2501.99999"}).content.decode()
    assert "not here yet" in page and "/submit?id=2501.99999" in page
    assert "author:hinton" in client.get("/search").content.decode()  # the help
    assert client.get("/search", {"q": "x" * 600}).status_code == 400
    assert client.get("/search", {"q": "networks", "page": "999"}).status_code == 200


def test_search_page_says_when_keyword_only(client, corpus, settings):
    settings.DAILYPAPERS_SEMANTIC_SEARCH = False
    page = client.get("/search", {"q": "residual"}).content.decode()
    assert "Keyword matches only" in page and "<mark>Residual</mark> Learning" in page


def test_search_page_says_how_far_a_backfill_got(client, corpus):
    embedding.embed_missing(limit=4)  # the rest still to come: semantic search covers 4
    page = client.get("/search", {"q": "residual"}).content.decode()
    assert f"Semantic matches cover 4 of {len(CORPUS)} papers" in page
    embedding.embed_missing()
    assert "Semantic matches cover" not in client.get("/search", {"q": "residual"}).content.decode()


def test_nonsense_finds_nothing(embedded):
    assert selectors.search("zxqv wpfk").ids == []


def test_similar_papers_on_the_paper_page(client, embedded):
    embedded["2402.00003"].hidden = True
    embedded["2402.00003"].save()
    page = client.get("/papers/2403.00004").content.decode()
    similar = page.split("Similar papers", 1)[1].split("</section>", 1)[0]
    assert "Message Passing Neural Networks" not in similar  # not itself
    assert "A Survey of Graph Neural Networks" not in similar  # hidden
    assert similar.count("<li>") == 5
    factories.paper("2501.00010", title="Not embedded yet")
    assert "Similar papers" not in client.get("/papers/2501.00010").content.decode()


def similar_section(client, url: str) -> str:
    page = client.get(url).content.decode()
    return page.split("Similar papers", 1)[1].split("</section>", 1)[0]


def test_similar_papers_recent_only(client, embedded):
    everything = similar_section(client, "/papers/2403.00004")
    assert "by meaning" in everything
    assert "Deep Residual Learning" in everything  # 2015: close enough among 7 papers
    assert 'href="?similar=recent#similar"' in everything  # the toggle, a plain link
    # Recent: within a year of the corpus's newest paper (June 2024), not of today
    found = selectors.similar_papers(embedded["2403.00004"], recent=True)
    assert [p.arxiv_id for p in found.papers] == ["2402.00003", "2401.00002"]
    recent = similar_section(client, "/papers/2403.00004?similar=recent")
    assert "A Survey of Graph Neural Networks" in recent and "Deep Residual" not in recent
    assert "<strong>recent only</strong>" in recent
    assert 'href="/papers/2403.00004#similar"' in recent  # back to any year


def test_similar_papers_by_keywords_without_an_embedding(client, embedded):
    # Query syntax in a title ("-", ":", quotes, parentheses) is only words here.
    factories.paper(
        "2401.00020",
        title='Message-passing: "molecules" (graph nets)',
        abstract="",
        published=dt.datetime(2024, 1, 15, tzinfo=dt.UTC),
    )
    keyword_index.sync()
    section = similar_section(client, "/papers/2401.00020")
    assert "by keywords" in section
    titles = re.findall(r'<a class="tex" href="/papers/([^"]+)"', section)
    assert titles == ["2403.00004", "2402.00003"]  # nothing that shares no word
    # recent only: the 2017 paper goes; a listed paper without a submission date counts by
    # its announcement
    factories.paper(
        "2405.00030",
        title="Graph message passing",
        abstract="",
        published=None,
        announced=dt.date(2024, 5, 2),
    )
    keyword_index.sync()
    recent = similar_section(client, "/papers/2401.00020?similar=recent")
    assert re.findall(r'<a class="tex" href="/papers/([^"]+)"', recent) == [
        "2405.00030",
        "2402.00003",
    ]
    embedded["2402.00003"].hidden = True
    embedded["2402.00003"].save()
    found = selectors.similar_by_keywords(Paper.objects.get(arxiv_id="2401.00020"))
    assert [p.arxiv_id for p in found] == ["2403.00004", "2405.00030"]


def test_similar_papers_by_keywords_when_semantic_search_is_off(client, embedded, settings):
    settings.DAILYPAPERS_SEMANTIC_SEARCH = False
    section = similar_section(client, "/papers/1512.03385")
    assert "by keywords" in section and "by meaning" not in section


def test_every_match_is_ranked_not_only_the_newest(corpus):
    # Many newer papers mention the words in passing; the old paper about them ranks first,
    # and a narrow filter still finds it (FTS5 once ranked only the newest 5,000 matches).
    for n in range(300):
        factories.paper(
            f"2502.{n:05d}",
            title=f"Unrelated study {n}",
            abstract="We compare to residual baselines and other learning methods.",
            published=dt.datetime(2025, 2, 1, tzinfo=dt.UTC),
        )
    assert lex("deep residual learning image recognition")[0] == "1512.03385"
    assert lex("residual cat:cs.CV") == ["1512.03385"]


def test_the_vector_index_and_the_model_load_in_either_order(tmp_path, settings):
    code = (
        "from dailypapers.cli import setup; setup()\n"
        "from dailypapers.search.engines.vector_files import reader\n"
        "reader.usearch()(ndim=4)\n"  # an HNSW graph before any model: usearch() guards it
        "from dailypapers.search.encoder import Encoder\n"
        f"print(Encoder.load({str(settings.DAILYPAPERS_MODEL_DIR)!r}).encode(['ok']).shape)"
    )
    env = cli_env(DAILYPAPERS_HOME=str(tmp_path), SECRET_KEY="k", PYTHONPATH="src")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "(1, 384)" in result.stdout, result.stderr
