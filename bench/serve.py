"""`dailypapers up` on a free local port, for the HTTP benchmarks."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen]]:
    """Start the server (no task worker) with ``env``; yields its port and process once it
    answers, and stops it after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "up", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/about/ranking")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("the server did not start")
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=30)
