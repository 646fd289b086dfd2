"""Real parallel transactions on PostgreSQL: an award happens once, whoever races."""

import pytest

from achievements.models import Rule, UserAchievement
from achievements.services import achievement_backfill, announcements_claim
from courses.services import lesson_complete
from tests.factories import AchievementFactory, CourseFactory, UserFactory
from tests.parallel import in_parallel

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
