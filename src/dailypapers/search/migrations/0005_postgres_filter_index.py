"""PostgreSQL: indexes that answer a search's filters without reading the papers' text.

* papers_paper_filters covers visibility, categories and dates: deciding which papers pass
  ``cat:cs.LG after:2015-01-01`` read ~15k paper rows (55-105 ms at 237k papers); from this
  index (14 MB) it takes 15-20 ms.
* papers_paper_authors: the authors' names alone, as search_vector holds them under weight C.
  Matching ``'wang':C`` there read and decompressed each candidate's whole search_vector (a
  weight cannot be checked in the index): 100 ms for the 21k papers of a common surname,
  63 ms from this index (21 MB), which needs no recheck.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX papers_paper_filters ON papers_paper (published) INCLUDE (id, hidden, categories)",
    "CREATE INDEX papers_paper_authors ON papers_paper "
    "USING gin (to_tsvector('dailypapers_names', authors::text))",
]
BACKWARD = ["DROP INDEX papers_paper_authors", "DROP INDEX papers_paper_filters"]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_postgres_bm25")]

    operations = [migrations.RunPython(_postgres(FORWARD), _postgres(BACKWARD))]
