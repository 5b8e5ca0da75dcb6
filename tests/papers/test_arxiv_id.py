import pytest
from hypothesis import given
from hypothesis import strategies as st

from dailypapers.papers import arxiv_id
from dailypapers.papers.arxiv_id import ArxivId, InvalidArxivId
from tests.properties.strategies import new_style, old_style, versions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234", ArxivId("2401.01234")),
        ("2401.01234v3", ArxivId("2401.01234", 3)),
        ("arXiv:2401.01234", ArxivId("2401.01234")),
        ("ARXIV: 2401.01234v2", ArxivId("2401.01234", 2)),
        ("  2401.01234\n", ArxivId("2401.01234")),
        ("https://arxiv.org/abs/2401.01234v2", ArxivId("2401.01234", 2)),
        ("http://arxiv.org/abs/2401.01234", ArxivId("2401.01234")),
        ("https://www.arxiv.org/pdf/2401.01234v1.pdf", ArxivId("2401.01234", 1)),
        ("https://arxiv.org/pdf/2401.01234", ArxivId("2401.01234")),
        ("https://export.arxiv.org/abs/2401.01234/", ArxivId("2401.01234")),
        ("arxiv.org/html/2401.01234v2#S1", ArxivId("2401.01234", 2)),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.9999v9", ArxivId("1412.9999", 9)),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.CA/0611800v2", ArxivId("math/0611800", 2)),
        ("math.ca/0611800", ArxivId("math/0611800")),
        ("HEP-TH/9901001", ArxivId("hep-th/9901001")),
        ("https://arxiv.org/abs/cond-mat/0102536v1", ArxivId("cond-mat/0102536", 1)),
        ("https://arxiv.org/pdf/math.GT/0309136.pdf", ArxivId("math/0309136")),
        ("cs/9301111", ArxivId("cs/9301111")),
    ],
)
def test_parses_every_accepted_form(text, expected):
    assert arxiv_id.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello", "not an arXiv id"),
        ("2401.1234", "5 digits"),  # since 2015 the number has five digits
        ("1401.01234", "4 digits"),
        ("2413.01234", "month 13"),
        ("2400.01234", "month 00"),
        ("0612.0001", "April 2007"),
        ("2401.01234v0", "start at v1"),
        ("2401.01234v", "not an arXiv id"),
        ("foo-bar/9901001", "unknown arXiv archive"),
        ("hep-th/0801001", "March 2007"),
        ("hep-th/9913001", "month 13"),
        ("hep-th/990100", "not an arXiv id"),
        ("https://example.org/abs/2401.01234", "not an arXiv abstract or PDF link"),
        ("https://arxiv.org/list/cs.CL/new", "not an arXiv abstract or PDF link"),
        ("2401.01234 2401.01235", "not an arXiv id"),
        ("x" * 500, "too long"),
    ],
)
def test_rejects_with_a_reason(text, reason):
    with pytest.raises(InvalidArxivId, match=reason):
        arxiv_id.parse(text)


def test_urls_of_a_paper():
    ident = arxiv_id.parse("2401.01234v2")
    assert ident.abs_url == "https://arxiv.org/abs/2401.01234v2"
    assert ident.pdf_url == "https://arxiv.org/pdf/2401.01234v2"
    assert str(arxiv_id.parse("math.CA/0611800")) == "math/0611800"


@given(ident=new_style | old_style, version=versions)
def test_every_written_form_parses_back_to_the_same_id(ident, version):
    suffix = "" if version is None else f"v{version}"
    forms = [
        f"{ident}{suffix}",
        f"arXiv:{ident}{suffix}",
        f"https://arxiv.org/abs/{ident}{suffix}",
        f"https://arxiv.org/pdf/{ident}{suffix}.pdf",
        f" {ident}{suffix} ",
    ]
    for form in forms:
        parsed = arxiv_id.parse(form)
        assert parsed == ArxivId(ident, version)
        assert arxiv_id.normalize(str(parsed)) == ident  # the key is stable


@given(st.text(max_size=60))
def test_arbitrary_text_either_parses_or_raises_invalid(text):
    try:
        parsed = arxiv_id.parse(text)
    except InvalidArxivId as exc:
        assert str(exc)
    else:
        assert arxiv_id.parse(parsed.id).id == parsed.id
