from django.conf import settings
from django.db import migrations, models

import accounts.models
import accounts.time_zones


def profiles_create(apps, schema_editor):
    """Every account gets the row its writes lock (accounts.services.learner_lock)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    profile = apps.get_model("accounts", "LearnerProfile")
    missing = user_model.objects.filter(learner_profile__isnull=True).values_list("pk", flat=True)
    profile.objects.bulk_create(
        (profile(user_id=pk, page_token=accounts.models.page_token_new()) for pk in missing.iterator()),
        batch_size=5000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("achievements", "0004_learnerprofile_moved_to_accounts"),
    ]

    operations = [
        migrations.AlterModelTable(name="learnerprofile", table=None),
        migrations.AlterField(
            model_name="learnerprofile",
            name="time_zone",
            field=models.CharField(blank=True, help_text="Streaks count calendar days in this time zone; empty: the site's.", max_length=64, validators=[accounts.time_zones.validate_time_zone]),
        ),
        migrations.AddField(
            model_name="learnerprofile",
            name="page_token",
            field=models.CharField(default=accounts.models.page_token_new, editable=False, help_text="Replaced by every write of this learner: names their cached pages.", max_length=16),
        ),
        migrations.RunPython(profiles_create, migrations.RunPython.noop, elidable=True),
    ]
