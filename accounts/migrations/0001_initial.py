# The learner's profile moves here from achievements, table and rows as they are: this
# migration only tells Django's model state; 0002 renames the table.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.time_zones


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("achievements", "0003_threshold_bound"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LearnerProfile",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("time_zone", models.CharField(help_text="Streaks count calendar days in this time zone.", max_length=64, validators=[accounts.time_zones.validate_time_zone])),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="learner_profile", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "achievements_learnerprofile"},
                ),
            ],
            database_operations=[],
        ),
    ]
