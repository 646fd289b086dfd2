from django.conf import settings
from django.db import migrations, models

from accounts.usernames import username_skeleton


def skeletons_fill(apps, schema_editor):
    profile = apps.get_model("accounts", "LearnerProfile")
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    names = dict(user_model.objects.values_list("pk", "username"))
    rows = list(profile.objects.only("pk", "user_id"))
    for row in rows:
        row.username_skeleton = username_skeleton(names[row.user_id])
    profile.objects.bulk_update(rows, ["username_skeleton"], batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_profile_for_every_learner")]

    operations = [
        migrations.AddField(
            model_name="learnerprofile",
            name="username_skeleton",
            field=models.CharField(db_index=True, default="", editable=False, help_text="What the username looks like (accounts.usernames): no look-alike signs up.", max_length=150),
            preserve_default=False,
        ),
        migrations.RunPython(skeletons_fill, migrations.RunPython.noop, elidable=True),
    ]
