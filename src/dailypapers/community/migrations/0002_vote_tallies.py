"""Fill the feed's vote tallies from the votes cast before tallies existed."""

from django.db import migrations
from django.db.models import Count


def fill(apps, schema_editor):
    Vote = apps.get_model("community", "Vote")
    VoteTally = apps.get_model("feed", "VoteTally")
    counts = (
        Vote.objects.exclude(user__member__banned=True).values("paper_id").annotate(n=Count("id"))
    )
    VoteTally.objects.bulk_create(
        [VoteTally(paper_id=row["paper_id"], members=row["n"]) for row in counts], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial"), ("feed", "0003_votetally")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
