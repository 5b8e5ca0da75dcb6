from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # createcachetable makes the tables of settings.CACHES that are missing: now open_data's.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("dailypapers", "0002_cache_table")]
    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
