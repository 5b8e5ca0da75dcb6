"""Send one period's digest to 10,000 subscribers through a local SMTP server (aiosmtpd).

Usage: python bench/digest_send.py [SUBSCRIBERS [WORKERS]]   (defaults: 10000, 2 processes;
the SMTP server runs in a process of its own)
Last line: {"subscribers": ..., "messages": ..., "seconds": ..., "messages_per_s": ...}
"""

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.recipients: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def serve(port: int) -> None:
    """Count what arrives until SIGTERM, then print the counts as JSON."""
    from aiosmtpd.controller import Controller

    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(json.dumps({"messages": counter.messages, "recipients": len(counter.recipients)}))


def wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("the SMTP server did not start")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    os.environ.update(
        DAILYPAPERS_HOME=tempfile.mkdtemp(prefix="dailypapers-bench-"),
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    from dailypapers.cli import setup

    setup()
    from django.core.management import call_command

    from dailypapers.digest.models import Subscriber
    from dailypapers.digest.send import send_digests
    from dailypapers.feed import periods
    from dailypapers.feed.models import Featured
    from dailypapers.papers.models import Paper

    call_command("migrate", verbosity=0)
    day = dt.date(2025, 9, 8)
    for i in range(30):
        p = Paper.objects.create(
            arxiv_id=f"2509.{i:05d}",
            title=f"A benchmark paper about topic {i}",
            abstract="A realistic abstract of about a hundred words. " * 12,
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
            categories=["cs.CL"],
        )
        Featured.objects.create(
            paper=p,
            day=day,
            source="upstream",
            featured_at=dt.datetime(2025, 9, 8, 8, tzinfo=dt.UTC),
            imported_upvotes=i,
        )
    confirmed = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{i}@example.org", confirmed_at=confirmed) for i in range(count)
    )

    # The SMTP server runs in its own process, as a real one would.
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], stdout=subprocess.PIPE, text=True
    )
    wait_for_port(port)
    start = time.perf_counter()
    report = send_digests("daily", periods.day(day), workers=workers)
    seconds = time.perf_counter() - start
    server.send_signal(signal.SIGTERM)
    received = json.loads(server.communicate(timeout=30)[0])
    print(report.summary(), file=sys.stderr)
    print(
        json.dumps(
            {
                "subscribers": count,
                "workers": workers,
                "messages": received["messages"],
                "distinct_recipients": received["recipients"],
                "seconds": round(seconds, 1),
                "messages_per_s": round(received["messages"] / seconds),
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    else:
        main()
