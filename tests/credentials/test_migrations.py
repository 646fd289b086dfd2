"""Existing awards and achievements get a public id each when the credentials arrive."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from achievements.models import Achievement, UserAchievement

BEFORE = ("achievements", "0008_public_ids_nullable")
FILLED = ("achievements", "0009_public_ids_fill")


def migrate(*target):
    executor = MigrationExecutor(connection)
    executor.migrate(list(target))
    return executor.loader.project_state(list(target)).apps


@pytest.mark.django_db(transaction=True)
def test_every_existing_row_gets_its_own_id_and_stragglers_too():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE)
    try:
        users = old.get_model("auth", "User")
        achievements = old.get_model("achievements", "Achievement")
        awards = old.get_model("achievements", "UserAchievement")
        badge = achievements.objects.create(
            name="Old", description="x", rule="lessons_completed", threshold=1
        )
        for n in range(5):
            user = users.objects.create(username=f"old{n}")
            awards.objects.create(user=user, achievement=badge, trigger="backfill")
        assert awards.objects.filter(public_id=None).count() == 5

        filled = migrate(FILLED)
        # Rows an old release inserts while the deployment runs, between 0009 and 0010.
        for n in range(2):
            late = filled.get_model("auth", "User").objects.create(username=f"late{n}")
            filled.get_model("achievements", "UserAchievement").objects.create(
                user=late, achievement_id=badge.pk, trigger="backfill"
            )
    finally:
        migrate(*latest)

    ids = list(UserAchievement.objects.values_list("public_id", flat=True))
    assert len(ids) == 7 and None not in ids and len(set(ids)) == 7
    assert Achievement.objects.get().public_id is not None
