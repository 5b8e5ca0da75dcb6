"""SQLite: the keyword index moves from FTS5 to tantivy (search/tantivy_index.py). The FTS5
table and its triggers go; new triggers note every changed paper in search_indexchange, which
the worker turns into index updates. This migration queues every existing paper, so the
first sync (or `dailypapers reindex`) indexes the corpus.

Like the FTS5 triggers before them, these are dropped if a later migration makes Django
rebuild the paper table on SQLite: such a migration must create them again (tests/search
checks that an imported paper is found).

PostgreSQL keeps its full text in the paper table (migration 0001) and needs none of this.
"""

from django.db import migrations, models

CHANGED = "INSERT INTO search_indexchange (paper_id) VALUES ({row}.id)"
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
    "DROP VIEW IF EXISTS search_fts_source",
    "CREATE TRIGGER search_index_insert AFTER INSERT ON papers_paper "
    f"BEGIN {CHANGED.format(row='new')}; END",
    # Only what the index holds, or decides visibility: not votes, links or timestamps.
    "CREATE TRIGGER search_index_update AFTER UPDATE OF title, abstract, authors, categories, "
    f"published, hidden ON papers_paper BEGIN {CHANGED.format(row='new')}; END",
    "CREATE TRIGGER search_index_delete AFTER DELETE ON papers_paper "
    f"BEGIN {CHANGED.format(row='old')}; END",
    "INSERT INTO search_indexchange (paper_id) SELECT id FROM papers_paper",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER search_index_delete",
    "DROP TRIGGER search_index_update",
    "DROP TRIGGER search_index_insert",
]


def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_embedding_embedded_at")]

    operations = [
        migrations.CreateModel(
            name="IndexChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("paper_id", models.BigIntegerField()),
            ],
        ),
        # Backwards, the FTS5 table is not rebuilt: migrating back means reindexing by hand.
        migrations.RunPython(_sqlite(SQLITE_FORWARD), _sqlite(SQLITE_BACKWARD)),
    ]
