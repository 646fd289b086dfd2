# Open Badges (credentials): public ids, in three steps so a large table is never locked
# for long and every existing row gets its own id: a nullable column here, filled by
# 0009, made unique and required by 0010.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('achievements', '0007_admin_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='achievement',
            name='public_id',
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='userachievement',
            name='public_id',
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='userachievement',
            name='is_public',
            field=models.BooleanField(default=False, help_text="The learner shows this award's page to anyone with its link.", verbose_name='public page'),
        ),
    ]
