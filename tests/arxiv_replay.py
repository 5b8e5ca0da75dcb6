"""A local stand-in for arXiv: answers API, OAI-PMH and RSS requests from real recorded
responses (tests/fixtures/arxiv), and injects the faults arXiv is known for."""

from __future__ import annotations

import datetime as dt
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

SAMPLES = Path(__file__).parent / "fixtures" / "arxiv"

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2026-01-06T00:00:00Z</responseDate>"
    '<request verb="ListRecords">http://oaipmh.arxiv.org/oai</request>'
)
OAI_RECORD = """<record><header><identifier>oai:arXiv.org:{id}</identifier>
<datestamp>{datestamp}</datestamp><setSpec>cs</setSpec></header><metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{id}</id><created>{created}</created>
<authors><author><keyname>Lovelace</keyname><forenames>Ada</forenames></author>
<author><keyname>Turing</keyname><forenames>Alan</forenames></author></authors>
<title>Synthetic paper {n}</title><categories>cs.LG cs.CL</categories>
<abstract>  Abstract of synthetic paper {n}.
</abstract></arXiv></metadata></record>"""


@dataclass
class Fault:
    """What to do instead of answering: ``kind`` is one of status (``status`` + ``headers``),
    reset (drop the connection), truncate (half the body), empty (an OAI page without records
    or token), expired (badResumptionToken), hang (never answer; for kill tests), hold
    (answer once ``release`` is set)."""

    kind: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class Request:
    path: str
    params: dict[str, str]


class ArxivReplay:
    """Serve on 127.0.0.1; ``faults`` maps the 1-based number of a request to a Fault, and
    ``outage()`` gives the Fault for any other request (None: answer), e.g. by the time."""

    def __init__(
        self, samples: Path = SAMPLES, extra_oai_records: int = 9, page_size: int = 3
    ) -> None:
        self.page_size = page_size
        self.faults: dict[int, Fault] = {}
        self.outage: Callable[[], Fault | None] = lambda: None
        self.requests: list[Request] = []
        self.request_arrived = threading.Event()
        self.arrivals: list[float] = []  # time.monotonic() of each request
        self.delay = 0.0  # seconds each answer takes
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self.oai_records = _oai_records(samples, extra_oai_records)
        self.api_head, self.api_entries = _api_entries(samples)
        self.api_bad_ids: set[str] = set()
        self.rss = {
            "/rss/cs.LG+cs.AI+cs.CL+stat.ML": (
                samples / "rss" / "rss2_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml"
            ).read_bytes(),
            "/rss/cs.LG": (samples / "rss" / "atom_cs.LG_2026-09-25_trimmed.xml").read_bytes(),
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ArxivReplay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def oai_ids(self) -> list[str]:
        return [ident for ident, _, _ in self.oai_records]

    def oai_delete(self, ident: str, datestamp: dt.date) -> None:
        """From now on the harvest reports ``ident`` deleted, with the header arXiv sends."""
        xml = (
            f'<record><header status="deleted"><identifier>oai:arXiv.org:{ident}</identifier>'
            f"<datestamp>{datestamp}</datestamp><setSpec>cs</setSpec></header></record>"
        )
        self.oai_records = [r for r in self.oai_records if r[0] != ident]
        self.oai_records.append((ident, datestamp, xml))
        self.oai_records.sort(key=lambda r: (r[1], r[0]))

    # --- answers -----------------------------------------------------------------------------

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes]:
        if path == "/oai":
            return self._oai(params)
        if path == "/api/query":
            return 200, self._api(params.get("id_list", "").split(","))
        if path in self.rss:
            return 200, self.rss[path]
        return 404, b"not found"

    def _oai(self, params: dict[str, str]) -> tuple[int, bytes]:
        if "resumptionToken" in params:
            since, offset = params["resumptionToken"].split("|")
            since_date, start = dt.date.fromisoformat(since), int(offset)
        else:
            since_date = dt.date.fromisoformat(params.get("from", "1990-01-01"))
            start = 0
        matching = [r for r in self.oai_records if r[1] >= since_date]
        if not matching:
            body = '<error code="noRecordsMatch">No records match</error>'
            return 200, (OAI_HEAD + body + "</OAI-PMH>").encode()
        page = matching[start : start + self.page_size]
        end = start + len(page)
        size = len(matching)
        token = f"{since_date}|{end}" if end < size else ""
        resumption = (
            f'<resumptionToken completeListSize="{size}" cursor="{start}">{token}</resumptionToken>'
        )
        body = "<ListRecords>" + "".join(xml for _, _, xml in page) + resumption + "</ListRecords>"
        return 200, (OAI_HEAD + body + "</OAI-PMH>").encode()

    def _api(self, ids: list[str]) -> bytes:
        entries = []
        for ident in ids:
            if ident in self.api_bad_ids:
                entries.append(
                    "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_"
                    f"{ident}</id><title>Error</title><summary>incorrect id format for {ident}"
                    "</summary></entry>"
                )
            elif ident in self.api_entries:
                entries.append(self.api_entries[ident])
        total = f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        return (self.api_head + total + "".join(entries) + "</feed>").encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with replay._lock:
                    replay.arrivals.append(time.monotonic())
                    replay.in_flight += 1
                    replay.max_in_flight = max(replay.max_in_flight, replay.in_flight)
                try:
                    time.sleep(replay.delay)
                    self._answer()
                finally:
                    with replay._lock:
                        replay.in_flight -= 1

            def _answer(self) -> None:
                url = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(url.query).items()}
                replay.requests.append(Request(url.path, params))
                number = len(replay.requests)
                replay.request_arrived.set()
                fault = replay.faults.get(number) or replay.outage()
                if fault and fault.kind == "hang":
                    threading.Event().wait(60)
                    return
                if fault and fault.kind == "hold":
                    fault.release.wait(60)
                if fault and fault.kind == "reset":
                    # SO_LINGER 0: close with a TCP reset, as a dropped connection looks.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    return
                if fault and fault.kind == "status":
                    self._send(fault.status, b"Service unavailable", fault.headers)
                    return
                if fault and fault.kind == "expired":
                    body = '<error code="badResumptionToken">The token has expired</error>'
                    self._send(200, (OAI_HEAD + body + "</OAI-PMH>").encode())
                    return
                if fault and fault.kind == "empty":
                    self._send(200, (OAI_HEAD + "<ListRecords></ListRecords></OAI-PMH>").encode())
                    return
                status, body = replay.answer(url.path, params)
                if fault and fault.kind == "truncate":
                    body = body[: len(body) // 2]
                self._send(status, body)

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _oai_records(samples: Path, extra: int) -> list[tuple[str, dt.date, str]]:
    """The real records of the recorded OAI response, then ``extra`` synthetic ones on later
    days, sorted by datestamp: ``(id, datestamp, <record> XML)``."""
    recorded = samples / "oai-pmh" / "listrecords_arXiv_set-physics-plasm-ph_2026-01-05.xml"
    text = recorded.read_text()
    records = []
    for xml in re.findall(r"<record>.*?</record>", text, re.S):
        ident = re.search(r"<identifier>oai:arXiv.org:([^<]+)</identifier>", xml).group(1)
        stamp = dt.date.fromisoformat(re.search(r"<datestamp>([^<]+)<", xml).group(1))
        records.append((ident, stamp, xml))
    for n in range(1, extra + 1):
        stamp = dt.date(2026, 1, 5) + dt.timedelta(days=1 + n // 3)
        ident = f"2601.{10000 + n:05d}"
        xml = OAI_RECORD.format(id=ident, datestamp=stamp, created=stamp, n=n)
        records.append((ident, stamp, xml))
    return sorted(records, key=lambda r: (r[1], r[0]))


def _api_entries(samples: Path) -> tuple[str, dict[str, str]]:
    """The feed head of a recorded 2026 API response and every recorded entry by id."""
    entries: dict[str, str] = {}
    head = ""
    for path in sorted(samples.glob("api-atom-*/*.xml")):
        text = path.read_text()
        if not head and "api-atom-2026" in str(path):
            head = text[: text.index("<entry>")]
            head = re.sub(r"<opensearch:totalResults[^>]*>.*?</opensearch:totalResults>", "", head)
        for xml in re.findall(r"<entry>.*?</entry>", text, re.S):
            ident = re.search(r"<id>https?://arxiv.org/abs/([^<]+?)(v\d+)?</id>", xml).group(1)
            entries[ident] = xml
    return head, entries
