"""The search indexes, per database:

* SQLite: an FTS5 table over ``papers_paper`` (external content, so the text is stored once),
  kept in step by triggers. Note: a later migration that makes Django rebuild
  ``papers_paper`` on SQLite drops these triggers; such a migration must recreate them
  (tests/search checks that an imported paper is found).
* PostgreSQL: a generated, weighted ``search_vector`` column with a GIN index, and pgvector
  for the embeddings, with an HNSW index for cosine distance.
"""

import django.db.models.deletion
from django.db import migrations, models

import dailypapers.search.models

# Authors are a JSON list, which Django writes with \u escapes: index the decoded names.
AUTHORS = "(SELECT group_concat(value, '; ') FROM json_each({row}.authors))"
SQLITE_FORWARD = [
    # The FTS table reads its columns back from this view: what the triggers index.
    "CREATE VIEW search_fts_source AS SELECT id, title, abstract, "
    f"{AUTHORS.format(row='papers_paper')} AS authors FROM papers_paper",
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, abstract, authors, "
    "content='search_fts_source', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    # Title and authors count more than the abstract; `ORDER BY rank` then uses these weights.
    "INSERT INTO search_fts(search_fts, rank) VALUES ('rank', 'bm25(3.0, 1.0, 2.0)')",
    "CREATE TRIGGER search_fts_insert AFTER INSERT ON papers_paper BEGIN "
    "INSERT INTO search_fts(rowid, title, abstract, authors) "
    f"VALUES (new.id, new.title, new.abstract, {AUTHORS.format(row='new')}); END",
    "CREATE TRIGGER search_fts_delete AFTER DELETE ON papers_paper BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, abstract, authors) "
    f"VALUES ('delete', old.id, old.title, old.abstract, {AUTHORS.format(row='old')}); END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE OF title, abstract, authors "
    "ON papers_paper BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, abstract, authors) "
    f"VALUES ('delete', old.id, old.title, old.abstract, {AUTHORS.format(row='old')}); "
    "INSERT INTO search_fts(rowid, title, abstract, authors) "
    f"VALUES (new.id, new.title, new.abstract, {AUTHORS.format(row='new')}); END",
    # Index the papers already there ('rebuild' cannot read from a view).
    "INSERT INTO search_fts(rowid, title, abstract, authors) "
    "SELECT id, title, abstract, authors FROM search_fts_source",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER search_fts_update",
    "DROP TRIGGER search_fts_delete",
    "DROP TRIGGER search_fts_insert",
    "DROP TABLE search_fts",
    "DROP VIEW search_fts_source",
]
# Text search configurations that also fold accents (Schölkopf = Scholkopf), as FTS5 does.
WORD_TYPES = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION dailypapers_english (COPY = english)",
    f"ALTER TEXT SEARCH CONFIGURATION dailypapers_english ALTER MAPPING FOR {WORD_TYPES} "
    "WITH unaccent, english_stem",
    "CREATE TEXT SEARCH CONFIGURATION dailypapers_names (COPY = simple)",
    f"ALTER TEXT SEARCH CONFIGURATION dailypapers_names ALTER MAPPING FOR {WORD_TYPES} "
    "WITH unaccent, simple",
    "ALTER TABLE papers_paper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('dailypapers_english', title), 'A') || "
    "setweight(to_tsvector('dailypapers_english', abstract), 'B') || "
    "setweight(to_tsvector('dailypapers_names', authors::text), 'C')) STORED",
    "CREATE INDEX papers_paper_search_vector ON papers_paper USING gin (search_vector)",
    "CREATE INDEX search_embedding_hnsw ON search_embedding USING hnsw (vector vector_cosine_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX search_embedding_hnsw",
    "ALTER TABLE papers_paper DROP COLUMN search_vector",
    "DROP TEXT SEARCH CONFIGURATION dailypapers_names",
    "DROP TEXT SEARCH CONFIGURATION dailypapers_english",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("papers", "0001_initial"),
    ]

    operations = [
        # pgvector must exist before a vector column can; creating it and unaccent needs a
        # superuser once (or have one run CREATE EXTENSION vector, unaccent beforehand).
        migrations.RunPython(
            _run({"postgresql": ["CREATE EXTENSION IF NOT EXISTS vector"]}),
            migrations.RunPython.noop,
        ),
        migrations.CreateModel(
            name="Embedding",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        serialize=False,
                        to="papers.paper",
                    ),
                ),
                ("model", models.CharField(max_length=100)),
                ("vector", dailypapers.search.models.VectorField(dimensions=384)),
                ("created_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
