"""Live awards inside the completion transaction: what they record, and what they cost."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from achievements.models import Rule, Trigger, UserAchievement
from achievements.services import (
    achievement_award_manual,
    achievement_awards_revoke,
    achievement_backfill,
)
from courses.models import UserProgress
from courses.services import course_completion_refresh, lesson_complete
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, UserFactory


def _one_of_each_rule(course, n: int) -> None:
    for i in range(n):
        AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=10 + i)
        AchievementFactory(rule=Rule.COURSE_LESSONS_COMPLETED, threshold=10 + i, course=course)
        AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=10 + i)
        AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=course)
        AchievementFactory(rule=Rule.STREAK_DAYS, threshold=10 + i)


def test_a_completion_records_why_the_award_happened(learner, course, lessons):
    achievement = AchievementFactory(rule=Rule.COURSE_LESSONS_COMPLETED, threshold=1, course=course)

    result = lesson_complete(user=learner, lesson=lessons[0])

    assert result.achievements_unlocked == (achievement,)
    award = UserAchievement.objects.get()
    assert award.trigger == Trigger.LESSON_COMPLETION
    assert award.trigger_lesson == lessons[0]
    assert award.awarded_by is None
    assert award.rule_snapshot == {
        "rule": "course_lessons_completed",
        "threshold": 1,
        "course_id": course.pk,
        "description": "1 lesson completed in “Intro to Testing”",
    }


def test_the_snapshot_keeps_the_rule_as_it_was(learner, lessons):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    lesson_complete(user=learner, lesson=lessons[0])
    achievement.threshold = 5
    achievement.save()

    assert UserAchievement.objects.get().rule_snapshot["threshold"] == 1


@pytest.mark.parametrize("per_rule", [1, 12])
def test_the_live_check_costs_the_same_whatever_the_number_of_achievements(
    learner, course, lessons, per_rule, django_assert_max_num_queries
):
    """5 or 60 locked achievements of every rule type: the same number of queries."""
    _one_of_each_rule(course, per_rule)
    lesson_complete(user=learner, lesson=lessons[0])
    two_lessons = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=2)
    one_day = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=1)

    # The whole completion: the lock, lessons, progress row, insert, update, then the
    # candidates, the streak's days and the award's insert; and the savepoint pair of
    # the test's transaction.
    with django_assert_max_num_queries(10):
        result = lesson_complete(user=learner, lesson=lessons[1])
    assert set(result.achievements_unlocked) == {two_lessons, one_day}


def test_a_revoked_award_is_not_given_back_by_the_rules(learner, lessons):
    admin = UserFactory(username="boss", is_staff=True)
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    lesson_complete(user=learner, lesson=lessons[0])

    revoked = achievement_awards_revoke(
        awards=UserAchievement.objects.all(), revoked_by=admin, reason="Completed by a bot."
    )
    lesson_complete(user=learner, lesson=lessons[1])
    achievement_backfill(achievement_id=achievement.pk)

    assert revoked == 1
    award = UserAchievement.objects.get()
    assert award.revoked_by == admin
    assert award.revoke_reason == "Completed by a bot."
    assert award.revoked_at is not None


def test_a_manual_award_records_who_and_why_and_can_reinstate_a_revoked_one(learner):
    admin = UserFactory(username="boss", is_staff=True)
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=50)

    first = achievement_award_manual(
        user=learner, achievement=achievement, awarded_by=admin, reason="Helped in the forum."
    )
    with pytest.raises(ValidationError):
        achievement_award_manual(
            user=learner, achievement=achievement, awarded_by=admin, reason="x"
        )
    achievement_awards_revoke(
        awards=UserAchievement.objects.filter(pk=first.pk), revoked_by=admin, reason="Mistake."
    )
    second = achievement_award_manual(
        user=learner, achievement=achievement, awarded_by=admin, reason="Not a mistake after all."
    )

    assert (first.trigger, first.awarded_by, first.reason) == (
        Trigger.MANUAL,
        admin,
        "Helped in the forum.",
    )
    assert first.rule_snapshot["threshold"] == 50
    assert second.pk != first.pk
    assert UserAchievement.objects.filter(revoked_at__isnull=True).get() == second


def test_a_manual_award_needs_a_reason(learner):
    achievement = AchievementFactory()
    with pytest.raises(ValidationError):
        achievement_award_manual(
            user=learner, achievement=achievement, awarded_by=learner, reason=" "
        )
    assert not UserAchievement.objects.exists()


def test_inactive_achievements_are_not_awarded(learner, lessons):
    AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1, is_active=False)
    assert lesson_complete(user=learner, lesson=lessons[0]).achievements_unlocked == ()


def test_courses_completed_counts_courses_finished_and_stays_after_new_lessons(learner):
    course = CourseFactory(lessons=1)
    achievement = AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=1)
    result = lesson_complete(user=learner, lesson=course.lessons.get())
    assert result.course_completed
    assert result.achievements_unlocked == (achievement,)

    LessonFactory(course=course, position=2)
    course_completion_refresh(course=course)

    assert UserProgress.objects.get(user=learner, course=course).completed_at is None
    award = UserAchievement.objects.get(user=learner, achievement=achievement)
    assert award.revoked_at is None


def test_the_streak_counts_when_the_completion_happens(learner, lessons):
    from tests.achievements.helpers import complete_at

    achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=2)
    complete_at(user=learner, lesson=lessons[0], at=datetime(2026, 1, 1, 9, tzinfo=UTC))
    result = complete_at(user=learner, lesson=lessons[1], at=datetime(2026, 1, 2, 9, tzinfo=UTC))
    assert result.achievements_unlocked == (achievement,)


@pytest.mark.parametrize("days", [739_000, 740_000, 1_000_000, 2_147_483_647])
def test_an_out_of_range_streak_stored_outside_the_form_never_breaks_a_completion(
    learner, lessons, days
):
    """A value the database holds (saved by the shell, or before the bound) cannot fail a
    completion: that rule is judged as never met, the others as usual."""
    AchievementFactory(rule=Rule.STREAK_DAYS, threshold=days)
    first_steps = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)

    result = lesson_complete(user=learner, lesson=lessons[0])

    assert result.achievements_unlocked == (first_steps,)
