"""Background work runs on a real worker process (django-tasks-db's db_worker), as in
production: a backfill the admin asks for is queued, a worker runs it, the awards appear,
and the achievement's page says what happened."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from achievements.models import Backfill, Rule, UserAchievement
from tests.factories import AchievementFactory, LessonCompletionFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> subprocess.CompletedProcess:
    """`manage.py db_worker --batch` against the test database: every queued task, then exit."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, "TASK_BACKEND": "database"}
    environment.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_backfill_the_admin_asks_for_runs_on_the_worker(database_tasks, admin_client, lessons):
    learners = UserFactory.create_batch(3)
    for learner in learners:
        LessonCompletionFactory(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1, is_active=False)
    change = reverse("admin:achievements_achievement_change", args=[achievement.pk])
    data = {
        "name": achievement.name,
        "description": achievement.description,
        "icon": achievement.icon,
        "is_active": "on",
        "rule": Rule.LESSONS_COMPLETED,
        "threshold": "1",
        "course": "",
    }
    asked = admin_client.post(change, data)  # "3 learners already qualify": confirm
    token = asked.context["adminform"].form.data["award_confirmation"]
    saved = admin_client.post(change, {**data, "award_confirmation": token}, follow=True)

    assert "Awarding" in saved.text and "in the background" in saved.text
    assert not UserAchievement.objects.exists(), "nothing is awarded in the web request"
    assert Backfill.objects.get().state == Backfill.State.QUEUED
    assert "Queued" in admin_client.get(change).text

    worker = run_worker()

    assert worker.returncode == 0, worker.stderr
    assert set(UserAchievement.objects.values_list("user_id", flat=True)) == {
        u.pk for u in learners
    }
    backfill = Backfill.objects.get()
    assert (backfill.state, backfill.learners, backfill.awarded) == (Backfill.State.DONE, 3, 3)
    page = admin_client.get(change).text
    assert "Done" in page and "3 learner(s) awarded of 3 who qualified" in page


def test_the_same_backfill_twice_awards_once(database_tasks, admin_user, lessons):
    from django.db import transaction

    from achievements.tasks import achievement_backfill_schedule

    learner = UserFactory()
    LessonCompletionFactory(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    for _ in range(2):
        with transaction.atomic():
            achievement_backfill_schedule(achievement=achievement, requested_by=admin_user)

    assert run_worker().returncode == 0

    assert UserAchievement.objects.filter(achievement=achievement).count() == 1
    assert sorted(Backfill.objects.values_list("state", "awarded")) == [
        (Backfill.State.DONE, 0), (Backfill.State.DONE, 1)
    ]  # fmt: skip


def test_a_failing_backfill_is_visible_not_lost(database_tasks, admin_client, lessons):
    """A rule stored outside the form (the shell) that the worker cannot judge: the run
    fails, and both the achievement's page and the task list in the admin say why."""
    from django.db import transaction

    from achievements.tasks import achievement_backfill_schedule

    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    type(achievement).objects.filter(pk=achievement.pk).update(rule="made_up", threshold=None)
    with transaction.atomic():
        achievement_backfill_schedule(achievement=achievement)

    worker = run_worker()

    assert worker.returncode == 0  # the worker carries on
    backfill = Backfill.objects.get()
    assert backfill.state == Backfill.State.FAILED
    assert "Unknown rule 'made_up'" in backfill.error
    page = admin_client.get(reverse("admin:achievements_achievement_change", args=[achievement.pk]))
    assert "Failed" in page.text and "made_up" in page.text
    tasks = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert "FAILED" in tasks.text.upper()
