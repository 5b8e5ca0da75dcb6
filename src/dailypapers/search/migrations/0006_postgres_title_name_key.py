"""PostgreSQL: an index on the words of a title before its colon, the name a paper goes by
("MinerU2.5: ..."), so that a query that is a paper's name finds it by an index probe
(``postgres_text.exact_title``), as the whole title already does."""

from django.db import migrations

FORWARD = [
    "CREATE INDEX papers_paper_title_name_key ON papers_paper "
    "(search_title_key(split_part(title, ':', 1))) WHERE strpos(title, ':') > 0"
]
BACKWARD = ["DROP INDEX papers_paper_title_name_key"]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0005_postgres_filter_index")]

    operations = [migrations.RunPython(_postgres(FORWARD), _postgres(BACKWARD))]
