from django.db import migrations
from django.db.models.functions import UUID4


def fill(apps, schema_editor):
    """One UPDATE per table, a random id per row drawn by the database (Django's UUID4:
    gen_random_uuid() on PostgreSQL): 1.25 million awards without a row in Python."""
    for name in ("Achievement", "UserAchievement"):
        apps.get_model("achievements", name).objects.filter(public_id=None).update(
            public_id=UUID4()
        )


class Migration(migrations.Migration):

    dependencies = [
        ('achievements', '0008_public_ids_nullable'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
