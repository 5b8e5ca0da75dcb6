"""The `dailypapers` console command: every Django management command under one name."""

import os
import sys


def environment_defaults() -> None:
    """What every process of the site runs with: files its owner's only, and settings the
    environment may override."""
    # Set before anything is written: the SQLite file holds password hashes and sessions,
    # mail holds reset links. Bits the inherited umask masks besides stay masked.
    os.umask(os.umask(0o077) | 0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    # One BLAS thread per process, set before NumPy loads: the web and worker processes
    # already share the cores, and a vector scan waiting for a second busy core took 10x
    # as long (bench/vector_index.py).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def setup() -> None:
    """Make Django usable from a script: the data folder prepared (see ``infra.home``), apps
    loaded."""
    environment_defaults()
    import django

    from dailypapers.infra import home

    home.prepare()
    django.setup()


def main() -> None:
    environment_defaults()
    from django.core.management import execute_from_command_line

    from dailypapers.infra import home

    home.prepare()
    execute_from_command_line(["dailypapers", *sys.argv[1:]])


if __name__ == "__main__":
    main()
