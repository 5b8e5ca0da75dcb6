from django.core.management.base import BaseCommand

from dailypapers.search import keyword_index


class Command(BaseCommand):
    help = (
        "Rebuild the keyword index from the paper table. On SQLite searches go on meanwhile "
        "and switch to the new index when it is complete; on PostgreSQL keyword search waits "
        "for the rebuild (a few minutes for 240,000 papers)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"indexed {keyword_index.rebuild()} papers")
