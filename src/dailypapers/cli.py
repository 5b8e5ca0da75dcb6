"""The `dailypapers` console command: every Django management command under one name."""

import os
import sys


def setup() -> None:
    """Make Django usable from a script: the data folder prepared (see ``home``), apps loaded."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    from dailypapers import home

    home.prepare()
    django.setup()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from django.core.management import execute_from_command_line

    from dailypapers import home

    home.prepare()
    execute_from_command_line(["dailypapers", *sys.argv[1:]])


if __name__ == "__main__":
    main()
