from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0003_threshold_bound"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LearnerProfile")],
            database_operations=[],
        ),
    ]
