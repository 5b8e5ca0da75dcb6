"""PostgreSQL: BM25 over every match, from an inverted index kept in tables (postgres_text.py).

* search_term: each lexeme of the papers' search_vector, with how many papers have it (the
  document frequency behind BM25's IDF);
* search_posting: for each lexeme and paper, the paper's side of BM25 (its weighted term
  frequency saturated against its length), indexed by lexeme and impact, so that a query
  reads the best postings of its terms without touching the paper rows;
* search_document: the papers indexed, with their lengths, for the corpus' size and mean
  length;
* triggers note every changed paper in search_indexchange, as on SQLite, for the worker;
* an index on the normalised title, so that an exact-title lookup is one index probe.

Every existing paper is queued, so the first sync (or `dailypapers reindex`) indexes them.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE TABLE search_term (id serial PRIMARY KEY, term text NOT NULL UNIQUE, "
    "docs integer NOT NULL DEFAULT 0)",
    "CREATE TABLE search_posting (term_id integer NOT NULL, paper_id bigint NOT NULL, "
    "impact real NOT NULL)",
    "CREATE INDEX search_posting_by_impact ON search_posting (term_id, impact DESC) "
    "INCLUDE (paper_id)",
    # A paper's postings: to delete them, and to score a pool of candidates whole.
    "CREATE INDEX search_posting_paper ON search_posting (paper_id, term_id) INCLUDE (impact)",
    "CREATE TABLE search_document (paper_id bigint PRIMARY KEY, length integer NOT NULL)",
    # plpgsql: one function for the three triggers.
    "CREATE FUNCTION search_note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO search_indexchange (paper_id) VALUES (CASE WHEN TG_OP = 'DELETE' "
    "THEN OLD.id ELSE NEW.id END); RETURN NULL; END $$",
    "CREATE TRIGGER search_index_insert AFTER INSERT ON papers_paper FOR EACH ROW "
    "EXECUTE FUNCTION search_note_change()",
    "CREATE TRIGGER search_index_update AFTER UPDATE OF title, abstract, authors, categories, "
    "published, hidden ON papers_paper FOR EACH ROW EXECUTE FUNCTION search_note_change()",
    "CREATE TRIGGER search_index_delete AFTER DELETE ON papers_paper FOR EACH ROW "
    "EXECUTE FUNCTION search_note_change()",
    # The words of a title as search.query.words() sees them: lower case, accents folded,
    # runs of letters and digits. unaccent is only STABLE (its dictionary could change); the
    # two-argument form with a fixed dictionary is safe to declare IMMUTABLE for an index.
    "CREATE FUNCTION search_title_key(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent', $1)), "
    "'[^[:alnum:]]+', ' ', 'g')) $$",
    "CREATE INDEX papers_paper_title_key ON papers_paper (search_title_key(title))",
    "INSERT INTO search_indexchange (paper_id) SELECT id FROM papers_paper",
]
POSTGRES_BACKWARD = [
    "DROP INDEX papers_paper_title_key",
    "DROP FUNCTION search_title_key(text)",
    "DROP TRIGGER search_index_delete ON papers_paper",
    "DROP TRIGGER search_index_update ON papers_paper",
    "DROP TRIGGER search_index_insert ON papers_paper",
    "DROP FUNCTION search_note_change()",
    "DROP TABLE search_document",
    "DROP TABLE search_posting",
    "DROP TABLE search_term",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_index_changes")]

    operations = [migrations.RunPython(_postgres(POSTGRES_FORWARD), _postgres(POSTGRES_BACKWARD))]
