from django.db import migrations

# One account per address, case aside: log-in and password resets look accounts up by it.
# Accounts without an address (made by createsuperuser, say) are left out.
INDEX = "community_user_email_unique"


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0003_alter_comment_user"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (lower(email)) WHERE email <> ''",
            f"DROP INDEX {INDEX}",
        )
    ]
