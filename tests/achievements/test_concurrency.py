"""Real parallel transactions on PostgreSQL: an award happens once, whoever races."""

import threading
import time
from contextlib import nullcontext

import pytest
from django.db import connection

from achievements.models import Rule, UserAchievement
from achievements.services import achievement_backfill, announcements_claim
from courses.services import lesson_complete
from tests.factories import AchievementFactory, CourseFactory, UserFactory
from tests.parallel import a_lock_is_awaited, in_parallel

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_parallel_completions_crossing_a_threshold_award_once():
    learner = UserFactory()
    lessons = list(CourseFactory(lessons=3).lessons.order_by("position"))
    lesson_complete(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=2)

    results = in_parallel(
        lambda: lesson_complete(user=learner, lesson=lessons[1]),
        lambda: lesson_complete(user=learner, lesson=lessons[2]),
    )

    assert UserAchievement.objects.filter(user=learner, achievement=achievement).count() == 1
    assert sorted(len(r.achievements_unlocked) for r in results) == [0, 1]


def test_a_completion_racing_a_backfill_awards_once():
    learner = UserFactory()
    lessons = list(CourseFactory(lessons=2).lessons.order_by("position"))
    lesson_complete(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1, is_active=False)
    type(achievement).objects.filter(pk=achievement.pk).update(is_active=True)

    in_parallel(
        lambda: achievement_backfill(achievement_id=achievement.pk),
        lambda: lesson_complete(user=learner, lesson=lessons[1]),
    )

    assert UserAchievement.objects.filter(user=learner, achievement=achievement).count() == 1


def test_two_sessions_claiming_together_announce_once():
    learner = UserFactory()
    UserAchievement.objects.create(
        user=learner, achievement=AchievementFactory(), trigger="backfill"
    )

    results = in_parallel(
        lambda: announcements_claim(user=learner),
        lambda: announcements_claim(user=learner),
    )

    assert sorted(len(claimed) for claimed in results) == [0, 1]


def test_a_session_claiming_while_another_is_between_its_read_and_its_write_announces_nothing():
    """The first claimant is held after reading the unannounced rows, before marking them:
    the second must wait for it (the row lock), then find nothing left to announce.
    Without the lock both announce, every time."""
    learner = UserFactory()
    UserAchievement.objects.create(
        user=learner, achievement=AchievementFactory(), trigger="backfill"
    )
    read, go_on = threading.Event(), threading.Event()
    claimed: dict[str, list] = {}

    def hold_before_marking(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and "announced_at" in sql:
            read.set()
            assert go_on.wait(timeout=30)
        return execute(sql, params, many, context)

    def claim(name: str, *, hold: bool) -> None:
        try:
            with connection.execute_wrapper(hold_before_marking) if hold else nullcontext():
                claimed[name] = announcements_claim(user=learner)
        finally:
            connection.close()

    first = threading.Thread(target=claim, args=("first",), kwargs={"hold": True})
    first.start()
    assert read.wait(timeout=10)
    second = threading.Thread(target=claim, args=("second",), kwargs={"hold": False})
    second.start()
    # The second either waits for the first's lock or, with no lock, claims and finishes.
    for _ in range(200):
        if not second.is_alive() or a_lock_is_awaited():
            break
        time.sleep(0.05)
    go_on.set()
    first.join(timeout=20)
    second.join(timeout=20)

    assert sorted(len(rows) for rows in claimed.values()) == [0, 1]
