import uuid
from importlib import import_module

from django.db import migrations, models

fill = import_module("achievements.migrations.0009_public_ids_fill").fill


class Migration(migrations.Migration):

    dependencies = [
        ('achievements', '0009_public_ids_fill'),
    ]

    operations = [
        # Rows an old release inserted while 0009 ran (a rolling deployment) get theirs.
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='achievement',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, help_text='Names its Open Badges BadgeClass in public URLs (credentials).', unique=True),
        ),
        migrations.AlterField(
            model_name='userachievement',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
