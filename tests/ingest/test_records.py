import datetime as dt

import pytest

from dailypapers.ingest.records import (
    PaperRecord,
    RecordError,
    clean_categories,
    latex_to_unicode,
    parse_datetime,
    split_authors,
)


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("C. Bal\\'azs", "C. Balázs"),
        ('Kurt G{\\"o}del', "Kurt Gödel"),
        ("Fran\\c{c}ois", "François"),
        ("Fran\\c cois", "François"),
        ("Erd\\H{o}s", "Erdős"),
        ("{\\O}stergaard", "Østergaard"),
        ("Stra\\ss e", "Straße"),
        ("\\L{}ukasz", "Łukasz"),
        ("Mart\\'{\\i}n", "Martín"),
        ("Ca\\~nizares", "Cañizares"),
        ("Dvo\\v{r}\\'ak", "Dvořák"),
        ("no macros here", "no macros here"),
        ("price $\\'e$ stays math", "price $\\'e$ stays math"),
        (
            "a novel ``Behavioral Fingerprinting'' framework",
            "a novel “Behavioral Fingerprinting” framework",
        ),
        ("the ``$f''(x)$'' term", "the “$f''(x)$” term"),
        ("G\\\"odel's f'' stays", "Gödel's f'' stays"),
    ],
)
def test_latex_accents_become_unicode(tex, text):
    assert latex_to_unicode(tex) == text


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("A. One, B. Two and C. Three", ["A. One", "B. Two", "C. Three"]),
        ("A. One (MIT), B. Two (ETH, Zurich)", ["A. One", "B. Two"]),
        ("Alexander Andrews, Fernando Sandoval", ["Alexander Andrews", "Fernando Sandoval"]),
        ("C. Bal\\'azs,\n  E. L. Berger", ["C. Balázs", "E. L. Berger"]),
        (["  Ada  Lovelace ", "", "Alan Turing"], ["Ada Lovelace", "Alan Turing"]),
        (None, []),
    ],
)
def test_authors_are_an_ordered_list_of_names(value, names):
    assert split_authors(value) == names


def test_categories_from_string_or_list_without_duplicates():
    assert clean_categories("cs.CL cs.LG  cs.CL") == ["cs.CL", "cs.LG"]
    assert clean_categories(["cs.CV", "cs.CV", "eess.IV"]) == ["cs.CV", "eess.IV"]
    with pytest.raises(RecordError, match="categories"):
        clean_categories([1, 2])


def test_dates_in_every_source_format_become_utc():
    utc = dt.UTC
    assert parse_datetime("2019-10-28", "d") == dt.datetime(2019, 10, 28, tzinfo=utc)
    assert parse_datetime("2024-05-24T17:34:15.000Z", "d") == dt.datetime(
        2024, 5, 24, 17, 34, 15, tzinfo=utc
    )
    assert parse_datetime("Mon, 2 Apr 2007 19:18:42 GMT", "d") == dt.datetime(
        2007, 4, 2, 19, 18, 42, tzinfo=utc
    )
    assert parse_datetime(None, "d") is None
    with pytest.raises(RecordError, match="created: not a date: 'yesterday'"):
        parse_datetime("yesterday", "created")


def test_values_too_long_for_their_column_are_rejected():
    with pytest.raises(RecordError, match="doi longer than 255"):
        PaperRecord(arxiv_id="2401.01234", title="t", doi="x" * 300)
