"""A local stand-in for huggingface.co's ``/api/daily_papers``: answers from real recorded days
(tests/fixtures/hf-daily, or the shared archive for bigger runs) as Hugging Face does (paging,
weak ETags and 304, its rate-limit headers), and injects the faults an upstream can show.

    with UpstreamReplay() as hf:
        hf.url          # http://127.0.0.1:PORT, an upstream's base address
        hf.faults = {2: Fault("status", 503, {"Retry-After": "7"})}
        hf.set_day("2025-09-03", items)
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import hashlib
import json
import math
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).parent / "fixtures" / "hf-daily"
DEFAULT_LIMIT = 50  # Hugging Face's, and huggingface_hub's list_daily_papers'
MAX_LIMIT = 100
JSON = "application/json; charset=utf-8"
Day = dt.date | str


@dataclass
class Fault:
    """What to do instead of (or to) the answer. ``kind``:

    * ``status``: answer ``status`` with ``headers`` (they replace the rate-limit headers of
      the same name) and ``body``;
    * ``body``: answer 200 with ``body`` instead of the day's JSON (HTML, not JSON, an object);
    * ``wrapped``: the day's page inside ``{"status", "date", "count", "data"}`` (a real quirk);
    * ``huge``: 200 with a ``size``-byte JSON-looking body, streamed (``sent`` says how much of
      it went out before the client hung up);
    * ``truncate``: half the body, with the whole body's Content-Length;
    * ``slow``: answer after ``delay`` seconds;
    * ``reset``: drop the connection (TCP reset) without an answer;
    * ``gone``: drop the connection and stop the server: every later request is refused;
    * ``hang``: never answer (until the server stops).
    """

    kind: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    size: int = 20 * 2**20


HTML = Fault(
    "body",
    body=b"<!DOCTYPE html>\n<html><head><title>Hugging Face - 502</title></head>"
    b"<body><h1>502</h1><p>Bad gateway: the server is restarting.</p></body></html>",
)
NOT_JSON = Fault("body", body=b'[{"paper": {"id": "2509.02547", "title": "cut off her')
OBJECT = Fault("body", body=b'{"error": "Internal Error - We\'re working hard to fix this"}')
HUGE = Fault("huge")


@dataclass
class Request:
    number: int  # from 1
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)  # names lowercased
    status: int = 0  # what it was answered (0: no answer)

    @property
    def if_none_match(self) -> str:
        return self.headers.get("if-none-match", "")


def recorded_days(folder: Path = FIXTURES) -> dict[dt.date, list[Any]]:
    """The committed days: ``daily_papers_YYYY-MM-DD.json``, each the API's JSON array."""
    return {
        dt.date.fromisoformat(path.stem.removeprefix("daily_papers_")): json.loads(path.read_text())
        for path in sorted(folder.glob("daily_papers_*.json"))
    }


def archive_days(
    paths: Iterable[Path], start: dt.date | None = None, end: dt.date | None = None
) -> dict[dt.date, list[Any]]:
    """Days of the shared archive (``hf-daily-papers/daily-*.jsonl.gz``, one line a day:
    ``{"date", "fetched_at", "source_commit", "papers"}``), optionally within [start, end]."""
    days: dict[dt.date, list[Any]] = {}
    for path in paths:
        with gzip.open(path) as lines:
            for line in lines:
                record = json.loads(line)
                day = dt.date.fromisoformat(record["date"])
                if (start is None or day >= start) and (end is None or day <= end):
                    days[day] = record["papers"]
    return days


def _day(value: Day) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def etag_of(body: bytes) -> str:
    return 'W/"' + hashlib.sha1(body).hexdigest()[:27] + '"'


class UpstreamReplay:
    """Serve on 127.0.0.1 (``url``) the days given (the committed fixtures by default).

    ``faults`` maps the 1-based number of a request to a Fault; ``outage(request)`` gives the
    Fault of any other request (None: answer), e.g. by the time or the day. Every request is
    in ``requests``, with ``arrivals`` (time.monotonic()) and ``max_in_flight``. The rate
    limit is a fixed window of ``quota`` requests per ``window`` seconds of ``clock()`` (the
    real monotonic clock unless given); past it, 429 as Hugging Face answers it.
    """

    def __init__(
        self,
        days: dict[dt.date, list[Any]] | None = None,
        quota: int = 500,
        window: int = 300,
        clock: Callable[[], float] = time.monotonic,
        etags: bool = True,
    ) -> None:
        self.days: dict[dt.date, list[Any]] = recorded_days() if days is None else days
        self.quota, self.window, self.clock, self.etags = quota, window, clock, etags
        self.faults: dict[int, Fault] = {}
        self.outage: Callable[[Request], Fault | None] = lambda request: None
        self.delay = 0.0  # seconds every answer takes
        self.requests: list[Request] = []
        self.arrivals: list[float] = []
        self.sent: dict[int, int] = {}  # body bytes written, by request number
        self.in_flight = self.max_in_flight = 0
        self._window_start, self._used = -math.inf, 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a slow or hanging answer does not hold the exit
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> UpstreamReplay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close the port: from now on a connection is refused."""
        with self._lock:
            if self._stopped.is_set():
                return
            self._stopped.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    # --- the data ----------------------------------------------------------------------------

    def items(self, day: Day) -> list[Any]:
        """A copy of the day's items, to change and :meth:`set_day` back."""
        return copy.deepcopy(self.days.get(_day(day), []))

    def set_day(self, day: Day, items: list[Any]) -> None:
        self.days[_day(day)] = items

    def ids(self, day: Day) -> list[str]:
        return [item["paper"]["id"] for item in self.days.get(_day(day), [])]

    def drop(self, day: Day, arxiv_id: str) -> None:
        """The upstream no longer lists ``arxiv_id`` on ``day``."""
        self.set_day(day, [i for i in self.items(day) if i["paper"]["id"] != arxiv_id])

    def set_counts(self, day: Day, arxiv_id: str, **counts: int) -> None:
        """Change an item's counts: ``upvotes``, ``numComments``, ``memberUpvotes`` …
        (``numComments`` is on the item, the others on its paper)."""
        items = self.items(day)
        for item in items:
            if item["paper"]["id"] == arxiv_id:
                for name, value in counts.items():
                    (item if name == "numComments" else item["paper"])[name] = value
        self.set_day(day, items)

    def answer(self, params: dict[str, str]) -> tuple[int, Any]:
        """What Hugging Face answers for these parameters: (status, JSON value)."""
        try:
            day = dt.date.fromisoformat(params["date"]) if "date" in params else None
            limit = int(params.get("limit", DEFAULT_LIMIT))
            page = int(params.get("p", 0))
        except ValueError as exc:
            return 400, {"error": f"Invalid parameters: {exc}"}
        if limit < 1 or page < 0:
            return 400, {"error": "Invalid parameters"}
        limit = min(limit, MAX_LIMIT)
        if day is None:  # the latest day
            day = max(self.days, default=dt.date(2025, 1, 1))
        items = self.days.get(day, [])
        return 200, items[page * limit : (page + 1) * limit]

    # --- the rate limit ----------------------------------------------------------------------

    def _count(self) -> tuple[int, int]:
        """Count a request in the window: (requests remaining, seconds to the reset)."""
        now = self.clock()
        with self._lock:
            if now >= self._window_start + self.window:
                self._window_start, self._used = now - now % self.window, 0
            self._used += 1
            reset = math.ceil(self._window_start + self.window - now)
            return self.quota - self._used, max(reset, 0)

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
                    url = urlparse(self.path)
                    request = Request(
                        len(replay.requests) + 1,
                        url.path,
                        {k: v[-1] for k, v in parse_qs(url.query).items()},
                        {k.lower(): v for k, v in self.headers.items()},
                    )
                    replay.requests.append(request)
                try:
                    replay._stopped.wait(replay.delay)
                    self._answer(request)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up
                finally:
                    with replay._lock:
                        replay.in_flight -= 1

            def _answer(self, request: Request) -> None:
                fault = replay.faults.get(request.number) or replay.outage(request)
                remaining, reset = replay._count()
                limits = {
                    "RateLimit": f'"api";r={max(remaining, 0)};t={reset}',
                    "RateLimit-Policy": (
                        f'"fixed window";"api";q={replay.quota};w={replay.window}'
                    ),
                }
                kind = fault.kind if fault else ""
                if kind == "slow":
                    replay._stopped.wait(fault.delay)
                if kind == "hang":
                    replay._stopped.wait(120)
                    return
                if kind in ("reset", "gone"):
                    # SO_LINGER 0: close with a TCP reset, as a dropped connection looks.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    if kind == "gone":
                        threading.Thread(target=replay.stop, daemon=True).start()
                    return
                if fault and kind == "status":
                    body = fault.body or b"Service unavailable"
                    return self._send(request, fault.status, body, {**limits, **fault.headers})
                if remaining < 0:
                    body = (
                        b"We had to rate limit you, you hit the quota of "
                        b"%d api requests per 5 minutes period." % replay.quota
                    )
                    return self._send(request, 429, body, limits, "text/plain; charset=utf-8")
                if request.path != "/api/daily_papers":
                    return self._send(request, 404, b'{"error": "Not Found"}', limits)
                if fault and kind == "huge":
                    return self._huge(request, fault.size, limits)
                if fault and kind == "body":
                    return self._send(request, 200, fault.body, limits)
                status, value = replay.answer(request.params)
                if kind == "wrapped" and status == 200:
                    day = request.params.get("date", "")
                    value = {"status": "success", "date": day, "count": len(value), "data": value}
                body = json.dumps(value, ensure_ascii=False).encode()
                headers = dict(limits)
                if status == 200 and replay.etags:
                    headers["ETag"] = etag = etag_of(body)
                    if etag in [t.strip() for t in request.if_none_match.split(",")]:
                        return self._send(request, 304, b"", headers)
                if kind == "truncate":
                    return self._send(request, status, body, headers, length=len(body), cut=True)
                return self._send(request, status, body, headers)

            def _send(
                self,
                request: Request,
                status: int,
                body: bytes,
                headers: dict[str, str],
                content_type: str = JSON,
                length: int | None = None,
                cut: bool = False,
            ) -> None:
                request.status = status
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body) if length is None else length))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if status != 304:
                    self.wfile.write(body[: len(body) // 2] if cut else body)
                    replay.sent[request.number] = len(body) // 2 if cut else len(body)
                if cut:
                    self.connection.close()

            def _huge(self, request: Request, size: int, headers: dict[str, str]) -> None:
                request.status = 200
                self.send_response(200)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(size))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                chunk = b'{"paper": {"id": "2509.02547"}}, ' * 2048
                sent = 0
                try:
                    self.wfile.write(b"[")
                    while sent + 1 < size:
                        piece = chunk[: size - 1 - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                finally:
                    replay.sent[request.number] = sent

        return Handler
