"""The arXiv XML parsers (API Atom, OAI-PMH, RSS/Atom announcements) on the real captures in
tests/fixtures/arxiv and on small inline fixtures for the cases no capture has."""

import datetime as dt
import subprocess
import sys

import pytest

from dailypapers.ingest.arxiv_atom import XmlError, parse_feed
from dailypapers.ingest.oai import OaiError, parse_list_records
from dailypapers.ingest.rss import parse_announcements
from tests.arxiv_replay import SAMPLES


def sample(*parts: str) -> bytes:
    return SAMPLES.joinpath(*parts).read_bytes()


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --- arXiv API: real captures ------------------------------------------------------------------


def test_api_legacy_format_hard_wrapped_and_per_element_namespaces():
    page = parse_feed(sample("api-atom-legacy", "query_cat-cs.RO-AND-neural_max2_20251017.xml"))
    assert (page.total_results, page.start_index, page.items_per_page) == (5619, 0, 2)
    assert page.errors == []
    assert [r.arxiv_id for r in page.records] == ["2510.14968", "2510.14827"]
    rdd = page.records[0]
    assert rdd.version == 1
    assert rdd.title == (
        "RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon Tasks"
    )
    assert rdd.abstract.startswith("To tackle long-horizon tasks, recent hierarchical vision-")
    assert rdd.abstract.endswith("Code and more results are available at rdd-neurips.github.io.")
    assert "\n" not in rdd.abstract and "  " not in rdd.abstract
    assert rdd.authors == ["Mingxuan Yan", "Yuping Wang", "Zechun Liu", "Jiachen Li"]
    assert rdd.categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY"]
    assert rdd.primary_category == "cs.RO"
    assert rdd.comments == (
        "39th Conference on Neural Information Processing Systems (NeurIPS 2025); "
        "Project Website: rdd-neurips.github.io"
    )
    assert rdd.published == utc(2025, 10, 16, 17, 59, 37)
    assert rdd.updated is None  # v1: <updated> only repeats <published>
    assert page.records[1].authors[-1] == "Martin Magnusson"
    assert page.records[1].categories == ["cs.RO"]


def test_api_2026_format_single_entry():
    page = parse_feed(sample("api-atom-2026", "query_ti-random-forest_max1_20260211.xml"))
    assert (page.total_results, page.start_index, page.items_per_page) == (702, 0, 1)
    [hrf] = page.records
    assert (hrf.arxiv_id, hrf.version) == ("2410.19022", 1)
    assert hrf.title == "Heterogeneous Random Forest"
    assert hrf.authors == ["Ye-eun Kim", "Seoung Yun Kim", "Hyunjoong Kim"]
    assert (hrf.categories, hrf.primary_category) == (["cs.LG", "stat.ML"], "cs.LG")
    assert hrf.comments == "18 pages, 6 figures"
    assert hrf.published == utc(2024, 10, 24, 9, 18, 55) and hrf.updated is None
    assert hrf.abstract.endswith("in terms of accuracy across the majority of datasets.")


def test_api_2026_format_versions_paragraphs_and_cross_lists():
    page = parse_feed(sample("api-atom-2026", "query_ti-random_max5_20260212.xml"))
    assert (page.total_results, page.items_per_page) == (37976, 5)
    ids = [(r.arxiv_id, r.version) for r in page.records]
    assert ids == [
        ("2101.02199", 5),
        ("2502.06628", 1),
        ("2409.12515", 1),
        ("1607.04331", 2),
        ("1910.08253", 1),
    ]
    surfaces = page.records[0]
    assert surfaces.published == utc(2021, 1, 6, 18, 59, 5)
    assert surfaces.updated == utc(2023, 2, 15, 8, 43, 28)  # the date of v5
    assert (surfaces.categories, surfaces.primary_category) == (["math-ph", "math.PR"], "math-ph")
    # Four paragraphs, joined with single spaces; the math stays as written.
    assert "in the following cases. It is shown that" in surfaces.abstract
    assert "$\\nabla φ$" in surfaces.abstract
    assert surfaces.comments.startswith("Fixes a mistake in the appendix")
    assert page.records[1].title == "Random Variables aren't Random"
    manifolds = page.records[3]
    assert manifolds.categories == ["stat.ML", "cs.LG", "q-bio.NC"]
    assert manifolds.primary_category == "stat.ML"
    assert manifolds.updated == utc(2016, 9, 10, 2, 37, 47)
    assert page.records[4].authors == ["Igor Rivin"]
    assert page.records[2].comments == ""  # no <arxiv:comment>


def test_api_2026_format_doi_and_fewer_results_than_asked():
    page = parse_feed(sample("api-atom-2026", "query_ti-rotation-random_max5_20260212.xml"))
    assert (page.total_results, page.items_per_page, len(page.records)) == (3, 5, 3)
    rotatable, trees, walk = page.records
    assert (rotatable.arxiv_id, rotatable.version) == ("1903.02058", 2)
    assert rotatable.updated == utc(2019, 5, 16, 21, 2, 32)
    assert rotatable.authors == ["Steven N. Evans", "Daniel Raban"]
    assert trees.title == "Rotating random trees with Skorokhod's $M_1$ topology"
    assert "càdlàg" in trees.abstract
    assert walk.doi == "10.1103/PhysRevLett.122.024102"
    assert walk.primary_category == "nlin.CD"


# --- arXiv API: inline fixtures ----------------------------------------------------------------

API_HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=&amp;id_list=2401.01234,1234.5678</title>
  <id>http://arxiv.org/api/kl7Fh3UxkOGsDY6LcWE0nCk8G+U</id>
  <updated>2026-01-06T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">3</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10</opensearch:itemsPerPage>
"""
GOOD_ENTRY = b"""
  <entry>
    <id>http://arxiv.org/abs/2401.01234v3</id>
    <updated>2024-03-05T10:00:00Z</updated>
    <published>2024-01-02T18:59:59Z</published>
    <title>On G\\"odel's   theorem</title>
    <summary>  Hard wrapped
  abstract. </summary>
    <author>
      <name>Kurt G\\"odel</name>
      <arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">IAS</arxiv:affiliation>
    </author>
    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.1000/xyz</arxiv:doi>
    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom"
      >Ann. Math. 1 (2024)</arxiv:journal_ref>
    <category term="math.LO" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""
ERROR_ENTRY = b"""
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.5678</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.5678</summary>
    <updated>2026-01-06T00:00:00-05:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.5678"
          rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>"""
UNTITLED_ENTRY = b"""
  <entry>
    <id>http://arxiv.org/abs/2402.00001v1</id>
    <published>2024-02-01T00:00:00Z</published>
    <summary>An entry without a title.</summary>
  </entry>"""


def test_api_error_entry_and_untitled_entry_are_reported_next_to_the_good_one():
    page = parse_feed(API_HEAD + GOOD_ENTRY + ERROR_ENTRY + UNTITLED_ENTRY + b"</feed>")
    assert page.errors == [
        ("1234.5678", "arXiv API error: incorrect id format for 1234.5678"),
        ("http://arxiv.org/abs/2402.00001v1", "missing title"),
    ]
    [paper] = page.records
    assert (paper.arxiv_id, paper.version) == ("2401.01234", 3)
    assert paper.title == "On Gödel's theorem"
    assert paper.abstract == "Hard wrapped abstract."
    assert paper.authors == ["Kurt Gödel"]  # the affiliation is not part of the name
    assert (paper.doi, paper.journal_ref) == ("10.1000/xyz", "Ann. Math. 1 (2024)")
    assert paper.primary_category == "math.LO"  # no <arxiv:primary_category>: first category
    assert paper.published == utc(2024, 1, 2, 18, 59, 59)
    assert paper.updated == utc(2024, 3, 5, 10, 0, 0)
    assert page.total_results == 3 and page.items_per_page == 10


def test_api_feed_without_paging_counts_is_not_an_api_response():
    with pytest.raises(XmlError, match="no opensearch:totalResults"):
        parse_feed(sample("rss", "atom_cs.LG_2026-09-25_trimmed.xml"))


def test_api_truncated_response_is_an_xml_error():
    data = sample("api-atom-2026", "query_ti-random_max5_20260212.xml")
    with pytest.raises(XmlError, match=r"arXiv API response: malformed or truncated XML \(.*line"):
        parse_feed(data[: len(data) // 2])


# --- unsafe and broken input, for every parser -------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE feed [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title></channel></rss>"""

PARSERS = [parse_feed, parse_list_records, parse_announcements]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "xxe"])
def test_entity_bombs_and_external_entities_are_refused(parse, payload):
    with pytest.raises(XmlError, match=r"refused unsafe XML: it has a DTD \(<!DOCTYPE>\)"):
        parse(payload)


@pytest.mark.parametrize("parse", PARSERS)
def test_empty_and_non_xml_input_are_xml_errors(parse):
    with pytest.raises(XmlError, match="empty response"):
        parse(b"  \n")
    with pytest.raises(XmlError, match="malformed or truncated XML"):
        parse(b"<html><body>Service Unavailable<br></body></html>")


def test_each_parser_names_the_root_it_expected():
    rss = sample("rss", "rss2_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml")
    with pytest.raises(XmlError, match="expected an Atom <feed>, got <rss>"):
        parse_feed(rss)
    with pytest.raises(XmlError, match="expected <OAI-PMH>, got <rss>"):
        parse_list_records(rss)
    with pytest.raises(XmlError, match="expected <rss> or an Atom <feed>, got <OAI-PMH>"):
        parse_announcements(
            sample("oai-pmh", "listrecords_arXiv_set-physics-plasm-ph_2026-01-05.xml")
        )


def test_parsers_import_without_django():
    code = (
        "import sys; import dailypapers.ingest.rss, dailypapers.ingest.oai; "
        "assert 'django' not in sys.modules, 'django was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- OAI-PMH: real capture ---------------------------------------------------------------------


def test_oai_arxiv_prefix_real_listrecords():
    page = parse_list_records(
        sample("oai-pmh", "listrecords_arXiv_set-physics-plasm-ph_2026-01-05.xml")
    )
    assert page.errors == [] and page.deleted == []
    assert [r.arxiv_id for r in page.records] == ["2504.11237", "2508.21012", "2510.07502"]
    # No <resumptionToken> at all: a complete list.
    assert (page.resumption_token, page.complete_list_size) == (None, None)
    assert page.last_datestamp == dt.date(2026, 1, 5)

    table = page.records[0]
    assert table.title == "Periodic table for highly charged ions"
    assert table.authors == ["Chunhai Lyu", "Christoph H. Keitel", "Zoltán Harman"]
    assert table.categories == ["physics.atom-ph", "physics.optics", "physics.plasm-ph", "quant-ph"]
    assert table.primary_category == "physics.atom-ph"
    assert table.version is None  # the arXiv prefix does not say
    assert table.published == utc(2025, 4, 15) and table.updated == utc(2026, 1, 5)
    assert table.journal_ref == "Phys. Rev. Research 7, L042071 (2025)"
    assert (table.doi, table.comments) == ("10.1103/bppp-53g1", "5 pages")
    assert table.license == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert table.abstract.startswith("Mendeleev's periodic table successfully groups")
    assert "“Coulomb splittings” between" in table.abstract  # TeX quotes made typographic

    turing = page.records[1]
    assert turing.authors == ["Magnus F Ivarsen"]
    assert turing.primary_category == "physics.comp-ph"
    assert (turing.doi, turing.journal_ref) == ("", "")
    assert turing.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"

    reconnection = page.records[2]
    assert len(reconnection.authors) == 12
    assert reconnection.authors[:2] == ["M. B. Khan", "M. A. Shay"]
    assert reconnection.authors[8] == "D. O'Donnell"
    assert reconnection.authors[-1] == "S. Roy"
    assert reconnection.doi == "10.1103/yjh7-hy2s"
    assert reconnection.comments == "Accepted in Physical Review E"


# --- OAI-PMH: inline fixtures ------------------------------------------------------------------


def oai(body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
  <responseDate>2026-01-06T05:00:00Z</responseDate>
  <request verb="ListRecords" metadataPrefix="arXivRaw">http://oaipmh.arxiv.org/oai</request>
  {body}
</OAI-PMH>""".encode()


RAW_RECORDS = r"""
    <record>
      <header>
        <identifier>oai:arXiv.org:0704.0001</identifier>
        <datestamp>2008-11-13</datestamp>
        <setSpec>physics:hep-ph</setSpec>
      </header>
      <metadata>
        <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/
                                      http://arxiv.org/OAI/arXivRaw.xsd">
          <id>0704.0001</id>
          <submitter>Pavel Nadolsky</submitter>
          <version version="v1">
            <date>Mon, 2 Apr 2007 19:18:42 GMT</date>
            <size>817kb</size>
            <source_type>D</source_type>
          </version>
          <version version="v2">
            <date>Tue, 24 Jul 2007 20:10:27 GMT</date>
            <size>818kb</size>
            <source_type>D</source_type>
          </version>
          <title>Calculation of prompt diphoton production cross sections at Tevatron and
  LHC energies</title>
          <authors>C. Bal\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan</authors>
          <categories>hep-ph</categories>
          <comments>37 pages, 15 figures; published version</comments>
          <report-no>ANL-HEP-PR-07-12</report-no>
          <journal-ref>Phys.Rev.D76:013009,2007</journal-ref>
          <doi>10.1103/PhysRevD.76.013009</doi>
          <license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>
          <abstract>  A fully differential calculation in perturbative quantum chromodynamics is
presented for the production of massive photon pairs at hadron colliders.
</abstract>
        </arXivRaw>
      </metadata>
    </record>
    <record>
      <header>
        <identifier>oai:arXiv.org:hep-th/9711200</identifier>
        <datestamp>2009-10-07</datestamp>
        <setSpec>physics:hep-th</setSpec>
      </header>
      <metadata>
        <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/
                                      http://arxiv.org/OAI/arXivRaw.xsd">
          <id>hep-th/9711200</id>
          <submitter>Juan Maldacena</submitter>
          <version version="v3">
            <date>Mon, 22 Jan 1998 20:37:32 GMT</date>
            <size>48kb</size>
            <source_type>D</source_type>
          </version>
          <version version="v1">
            <date>Thu, 27 Nov 1997 23:37:51 GMT</date>
            <size>47kb</size>
            <source_type>D</source_type>
          </version>
          <title>The Large N Limit of Superconformal Field Theories and Supergravity</title>
          <authors>Juan M. Maldacena (Harvard University)</authors>
          <categories>hep-th gr-qc</categories>
          <report-no>HUTP-97/A097</report-no>
          <journal-ref>Adv.Theor.Math.Phys.2:231-252,1998</journal-ref>
          <abstract>We show that the large N limit of certain conformal field theories.</abstract>
        </arXivRaw>
      </metadata>
    </record>
    <record>
      <header status="deleted">
        <identifier>oai:arXiv.org:math/0601001</identifier>
        <datestamp>2009-12-01</datestamp>
        <setSpec>math:math:CO</setSpec>
      </header>
    </record>
    <record>
      <header>
        <identifier>oai:arXiv.org:0704.0003</identifier>
        <datestamp>2008-11-13</datestamp>
      </header>
      <metadata>
        <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">
          <id>0704.0003</id>
          <version version="v1"><date>Sat, 31 Mar 2007 04:27:22 GMT</date></version>
          <title>   </title>
          <authors>Hongjun Pan</authors>
        </arXivRaw>
      </metadata>
    </record>
    <record>
      <header>
        <identifier>oai:arXiv.org:0704.0004</identifier>
        <datestamp>2008-11-13</datestamp>
      </header>
      <metadata>
        <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/>
      </metadata>
    </record>"""


def test_oai_arxiv_raw_versions_deleted_and_bad_records():
    body = f"""<ListRecords>{RAW_RECORDS}
    <resumptionToken cursor="0" completeListSize="2405">7654321|1001</resumptionToken>
  </ListRecords>"""
    page = parse_list_records(oai(body))
    assert [r.arxiv_id for r in page.records] == ["0704.0001", "hep-th/9711200"]
    assert page.deleted == ["math/0601001"]
    assert page.errors == [
        ("oai:arXiv.org:0704.0003", "missing title"),
        (
            "oai:arXiv.org:0704.0004",
            "unsupported metadata format: <dc> (expected arXiv or arXivRaw)",
        ),
    ]
    assert page.last_datestamp == dt.date(2009, 12, 1)  # the deleted record's stamp counts
    assert page.resumption_token == "7654321|1001"
    assert page.complete_list_size == 2405

    diphoton, maldacena = page.records
    assert diphoton.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert diphoton.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert diphoton.version == 2
    assert diphoton.published == utc(2007, 4, 2, 19, 18, 42)
    assert diphoton.updated == utc(2007, 7, 24, 20, 10, 27)
    assert (diphoton.categories, diphoton.primary_category) == (["hep-ph"], "hep-ph")
    assert diphoton.report_no == "ANL-HEP-PR-07-12"
    assert diphoton.journal_ref == "Phys.Rev.D76:013009,2007"
    assert diphoton.doi == "10.1103/PhysRevD.76.013009"
    assert diphoton.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert diphoton.comments == "37 pages, 15 figures; published version"
    assert diphoton.abstract == (
        "A fully differential calculation in perturbative quantum chromodynamics is "
        "presented for the production of massive photon pairs at hadron colliders."
    )

    # Versions listed out of order still give v1 as published and the last as updated.
    assert maldacena.version == 3
    assert maldacena.published == utc(1997, 11, 27, 23, 37, 51)
    assert maldacena.updated == utc(1998, 1, 22, 20, 37, 32)
    assert maldacena.authors == ["Juan M. Maldacena"]
    assert (maldacena.categories, maldacena.primary_category) == (["hep-th", "gr-qc"], "hep-th")
    assert (maldacena.doi, maldacena.license) == ("", "")


def first_raw_record(old: str = "", new: str = "") -> bytes:
    record = RAW_RECORDS.split("</record>")[0] + "</record>"
    assert old in record
    return oai(f"<ListRecords>{record.replace(old, new)}</ListRecords>")


V2 = """<version version="v2">
            <date>Tue, 24 Jul 2007 20:10:27 GMT</date>
            <size>818kb</size>
            <source_type>D</source_type>
          </version>"""


def test_oai_raw_record_with_one_version_has_no_updated():
    [paper] = parse_list_records(first_raw_record(V2, "")).records
    assert (paper.version, paper.updated) == (1, None)
    assert paper.published == utc(2007, 4, 2, 19, 18, 42)


def test_oai_raw_record_with_a_bad_version_label_is_reported():
    page = parse_list_records(first_raw_record('version="v2"', 'version="2nd"'))
    assert page.records == []
    assert page.errors == [("oai:arXiv.org:0704.0001", "version: expected v1, v2, ..., got '2nd'")]


def test_oai_empty_resumption_token_means_the_list_is_complete():
    page = parse_list_records(
        first_raw_record(
            "</record>", '</record><resumptionToken cursor="2000" completeListSize="2001"/>'
        )
    )
    assert [r.arxiv_id for r in page.records] == ["0704.0001"]
    assert page.resumption_token is None
    assert page.complete_list_size == 2001
    assert page.last_datestamp == dt.date(2008, 11, 13)


def test_oai_bad_resumption_token_is_an_oai_error_with_its_code():
    body = """<error code="badResumptionToken">The value of the resumptionToken argument is
    invalid or expired.</error>"""
    with pytest.raises(OaiError) as caught:
        parse_list_records(oai(body))
    assert caught.value.code == "badResumptionToken"
    assert str(caught.value) == (
        "OAI-PMH error badResumptionToken: "
        "The value of the resumptionToken argument is invalid or expired."
    )
    assert isinstance(caught.value, XmlError)


def test_oai_no_records_match_is_an_empty_page():
    page = parse_list_records(
        oai('<error code="noRecordsMatch">No records match the given criteria</error>')
    )
    assert page.records == [] and page.deleted == [] and page.errors == []
    assert page.resumption_token is None and page.last_datestamp is None


def test_oai_response_without_list_records_is_an_xml_error():
    with pytest.raises(XmlError, match="no <ListRecords>"):
        parse_list_records(oai("<Identify><repositoryName>arXiv</repositoryName></Identify>"))
    with pytest.raises(XmlError, match="completeListSize='soon' is not a number"):
        parse_list_records(
            oai('<ListRecords><resumptionToken completeListSize="soon"/></ListRecords>')
        )


# --- RSS: real captures ------------------------------------------------------------------------


def test_rss2_real_feed_announcements():
    page = parse_announcements(
        sample("rss", "rss2_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml")
    )
    assert page.errors == []
    summary = [(a.arxiv_id, a.version, a.announce_type) for a in page.announcements]
    assert summary == [
        ("2609.26811", 1, "new"),
        ("2609.26820", 1, "new"),
        ("2205.06398", 2, "cross"),
        ("2009.13987", 3, "replace"),
    ]
    assert {a.announced for a in page.announcements} == {dt.date(2026, 9, 24)}

    drift = page.announcements[0].record
    assert drift.title == "The Drift Contract: Spectral Updates for Depth-Robust Local Learning"
    assert drift.abstract.startswith("Local learning trains each layer with its own auxiliary")
    assert "Announce Type" not in drift.abstract and "arXiv:" not in drift.abstract
    assert drift.authors == ["Fabien Polly"]
    assert drift.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert (drift.arxiv_id, drift.version, drift.announced) == (
        "2609.26811",
        1,
        dt.date(2026, 9, 24),
    )

    signal = page.announcements[1].record
    assert signal.authors == ["Naser Mansour", "Sidahmed Benabderrahmane", "Ameer Rahwan"]
    assert (signal.categories, signal.primary_category) == (["cs.LG", "cs.AI"], "cs.LG")

    outliers = page.announcements[2].record
    assert outliers.categories == ["stat.ME", "stat.AP", "stat.ML"]
    assert outliers.primary_category == "stat.ME"  # cross-listed into stat.ML
    assert outliers.doi == "10.1093/bioinformatics/btac431"
    assert outliers.authors == ["Pritam Dey", "Zhengwu Zhang", "David B. Dunson"]

    polytopes = page.announcements[3].record
    assert polytopes.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert polytopes.doi == "" and polytopes.published is None


def test_rss_atom_variant_real_feed():
    page = parse_announcements(sample("rss", "atom_cs.LG_2026-09-25_trimmed.xml"))
    assert page.errors == []
    summary = [(a.arxiv_id, a.version, a.announce_type) for a in page.announcements]
    assert summary == [
        ("2609.28553", 1, "new"),
        ("2402.10149", 3, "cross"),
        ("2401.08875", 3, "replace"),
    ]
    assert {a.announced for a in page.announcements} == {dt.date(2026, 9, 25)}
    smiles = page.announcements[0].record
    assert smiles.title.startswith("SMILESGNN: Interpretable Clinical Toxicity Prediction")
    assert smiles.abstract.startswith("Drug toxicity prediction is critical")
    assert smiles.journal_ref == (
        "2026 International Conference on Multimedia Analysis and Pattern Recognition (MAPR)"
    )
    assert smiles.doi == "10.1109/MAPR72750.2026.11685822"
    assert smiles.license == "http://creativecommons.org/licenses/by/4.0/"
    assert len(smiles.authors) == 6
    assert smiles.authors[0] == "Quang Minh Nguyen" and smiles.authors[-1] == "Trong Nghia Nguyen"
    hypergraph = page.announcements[1].record
    assert (hypergraph.categories, hypergraph.primary_category) == (
        ["hep-ph", "cs.LG", "hep-ex"],
        "hep-ph",
    )
    assert hypergraph.doi == "10.1103/PhysRevD.111.032004"
    assert page.announcements[2].record.authors == ["Jiaming Tang", "Jingxuan Wen", "Liping Jing"]


# --- RSS: inline fixtures ----------------------------------------------------------------------


def rss(items: str) -> bytes:
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.LG</link>
    <description>cs.LG updates on the arXiv.org e-print archive.</description>
    <lastBuildDate>Sun, 27 Sep 2026 04:00:00 +0000</lastBuildDate>
    <pubDate>Sun, 27 Sep 2026 00:00:00 -0400</pubDate>
    <skipDays><day>Sunday</day><day>Saturday</day></skipDays>
    {items}
  </channel>
</rss>""".encode()


def test_rss_empty_channel_is_an_empty_page():
    page = parse_announcements(rss(""))
    assert page.announcements == [] and page.errors == []


def test_rss_bad_items_are_reported_and_the_rest_kept():
    items = """
    <item>
      <title>Replaced and cross-listed, no pubDate of its own</title>
      <link>https://arxiv.org/abs/2301.00001</link>
      <description>arXiv:2301.00001v4 Announce Type: replace-cross
Abstract: Text with Abstract: inside  it.</description>
      <guid isPermaLink="false">oai:arXiv.org:2301.00001v4</guid>
      <category>math.OC</category>
      <category>cs.LG</category>
      <dc:creator>Ana Gómez</dc:creator>
      <dc:creator>Bo Li</dc:creator>
    </item>
    <item>
      <title>Broken id</title>
      <description>arXiv:9999.1 Announce Type: new
Abstract: Nothing.</description>
      <guid isPermaLink="false">oai:arXiv.org:9999.1</guid>
      <arxiv:announce_type>new</arxiv:announce_type>
    </item>
    <item>
      <title>No announce type anywhere</title>
      <description>Just an abstract.</description>
      <guid isPermaLink="false">oai:arXiv.org:2301.00002v1</guid>
    </item>
    <item>
      <title></title>
      <guid isPermaLink="false">oai:arXiv.org:2301.00003v1</guid>
      <arxiv:announce_type>new</arxiv:announce_type>
    </item>"""
    page = parse_announcements(rss(items))
    [good] = page.announcements
    assert (good.arxiv_id, good.version, good.announce_type) == ("2301.00001", 4, "replace-cross")
    assert good.announced == dt.date(2026, 9, 27)  # from the channel's pubDate
    assert good.record.abstract == "Text with Abstract: inside it."
    assert good.record.authors == ["Ana Gómez", "Bo Li"]
    assert good.record.primary_category == "math.OC"
    assert [location for location, _ in page.errors] == [
        "oai:arXiv.org:9999.1",
        "oai:arXiv.org:2301.00002v1",
        "oai:arXiv.org:2301.00003v1",
    ]
    assert "not an arXiv id: '9999.1'" in page.errors[0][1]
    assert page.errors[1][1] == "missing announce type"
    assert page.errors[2][1] == "missing title"
