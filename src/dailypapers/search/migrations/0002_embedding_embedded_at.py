from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RenameField("embedding", "created_at", "embedded_at"),
        migrations.AlterField(
            model_name="embedding",
            name="embedded_at",
            field=models.DateTimeField(help_text="When the vector was computed."),
        ),
    ]
