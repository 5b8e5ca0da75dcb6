"""The query language: every input parses, operators do what the help says."""

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from dailypapers.search.query import parse_query, words


def test_plain_words_phrases_and_exclusions():
    q = parse_query('Graph  neural "Message Passing" -survey -"large language"')
    assert q.words == ["graph", "neural"]
    assert q.phrases == [["message", "passing"]]
    assert q.exclude == [["survey"], ["large", "language"]]
    assert q.has_text and q.has_filters


def test_operators():
    q = parse_query('author:Hinton author:"Yann LeCun" cat:CS.cl cat:cs after:2025-01 before:2026')
    assert q.authors == [["hinton"], ["yann", "lecun"]]
    assert q.categories == ["cs.CL", "cs"]
    assert q.after == dt.date(2025, 1, 1)
    assert q.before == dt.date(2026, 1, 1)
    assert not q.has_text and not q.warnings


def test_categories_with_long_lower_case_subjects():
    # Physics and condensed matter write their subject classes in lower case, not two letters.
    q = parse_query("cat:physics.comp-ph cat:COND-MAT.mes-hall cat:math.ag cat:q-bio.nc")
    assert q.categories == ["physics.comp-ph", "cond-mat.mes-hall", "math.AG", "q-bio.NC"]
    assert not q.has_text and not q.warnings


def test_bad_operator_values_become_words_with_a_warning():
    q = parse_query("after:yesterday cat:%% transformers")
    assert q.after is None and q.categories == []
    assert q.words == ["after", "yesterday", "cat", "transformers"]
    assert len(q.warnings) == 2 and "YYYY-MM-DD" in q.warnings[0]


def test_unknown_prefixes_and_hyphens_are_text():
    q = parse_query("COVID-19 re:invent state-of-the-art")
    assert q.words == ["covid", "19", "re", "invent", "state", "of", "the", "art"]
    assert q.exclude == []


def test_an_arxiv_id_or_link_is_recognised_whole():
    assert parse_query(" arXiv:1706.03762v5 ").arxiv_id == "1706.03762"
    assert parse_query("https://arxiv.org/abs/hep-th/9901001").arxiv_id == "hep-th/9901001"
    assert parse_query("1706.03762 attention").arxiv_id is None


def test_accents_and_case_fold_like_the_index():
    assert words("Schölkopf, Ünal & Ñuñez") == ["scholkopf", "unal", "nunez"]


def test_unclosed_quote_and_lone_minus():
    q = parse_query('"attention is - all')
    assert q.phrases == [["attention", "is", "all"]]
    lone = parse_query("- -")
    assert not lone.has_text and not lone.has_filters


@given(st.text(max_size=200))
def test_any_text_parses(text):
    q = parse_query(text)
    assert all(re.fullmatch(r"[^\W_]+", w) for w in q.words)
    for group in [*q.phrases, *q.exclude, *q.authors]:
        assert group and all(re.fullmatch(r"[^\W_]+", w) for w in group)
