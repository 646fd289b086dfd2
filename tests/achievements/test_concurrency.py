"""Real parallel transactions on PostgreSQL: an award happens once, whoever races."""

import threading

import pytest
from django.db import connection

from achievements.models import Rule, UserAchievement
from achievements.services import achievement_backfill, announcements_claim
from courses.services import lesson_complete
from tests.factories import AchievementFactory, CourseFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _in_parallel(*calls):
    """Run each call in its own thread and connection, started together; return results."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_parallel_completions_crossing_a_threshold_award_once():
    learner = UserFactory()
    lessons = list(CourseFactory(lessons=3).lessons.order_by("position"))
    lesson_complete(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=2)

    results = _in_parallel(
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

    _in_parallel(
        lambda: achievement_backfill(achievement_id=achievement.pk),
        lambda: lesson_complete(user=learner, lesson=lessons[1]),
    )

    assert UserAchievement.objects.filter(user=learner, achievement=achievement).count() == 1


def test_two_sessions_claiming_together_announce_once():
    learner = UserFactory()
    UserAchievement.objects.create(
        user=learner, achievement=AchievementFactory(), trigger="backfill"
    )

    results = _in_parallel(
        lambda: announcements_claim(user=learner),
        lambda: announcements_claim(user=learner),
    )

    assert sorted(len(claimed) for claimed in results) == [0, 1]
