"""Backfill: the service, its task, the management command, and its cost at 10,000 learners."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from achievements.models import Rule, Trigger, UserAchievement
from achievements.services import (
    BACKFILL_BATCH_SIZE,
    achievement_backfill,
)
from achievements.tasks import achievement_backfill_schedule
from tests.achievements.helpers import completions_create
from tests.factories import (
    AchievementFactory,
    CourseFactory,
    LessonCompletionFactory,
    UserAchievementFactory,
    UserFactory,
)


@pytest.fixture
def three_qualify(lessons):
    """Three learners with one lesson done, one with none."""
    users = UserFactory.create_batch(3)
    for user in users:
        LessonCompletionFactory(user=user, lesson=lessons[0])
    UserFactory()
    return users


def test_backfill_awards_every_qualifying_learner_with_its_reason(three_qualify):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)

    assert achievement_backfill(achievement_id=achievement.pk, batch_size=2) == 3

    awards = UserAchievement.objects.filter(achievement=achievement)
    assert {a.user for a in awards} == set(three_qualify)
    assert {a.trigger for a in awards} == {Trigger.BACKFILL}
    assert all(a.rule_snapshot["description"] == "1 lesson completed in total" for a in awards)
    assert all(a.announced_at is None for a in awards)  # announced on their next page view


def test_backfill_is_safe_to_run_again(three_qualify):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    UserAchievementFactory(user=three_qualify[0], achievement=achievement)

    assert achievement_backfill(achievement_id=achievement.pk) == 2
    assert achievement_backfill(achievement_id=achievement.pk) == 0
    assert UserAchievement.objects.count() == 3


def test_dry_run_and_inactive_award_nothing(three_qualify):
    active = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    inactive = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1, is_active=False)

    assert achievement_backfill(achievement_id=active.pk, dry_run=True) == 3
    assert achievement_backfill(achievement_id=inactive.pk) == 0
    assert not UserAchievement.objects.exists()


def test_the_task_runs_after_commit_only(three_qualify, django_capture_on_commit_callbacks):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        achievement_backfill_schedule(achievement=achievement)
    assert not UserAchievement.objects.exists()  # nothing before commit

    callbacks[0]()  # what the commit runs: enqueue on the (immediate) task backend
    assert UserAchievement.objects.filter(achievement=achievement).count() == 3


def test_management_command_dry_run_then_for_real(three_qualify, capsys):
    first = AchievementFactory(name="First", rule=Rule.LESSONS_COMPLETED, threshold=1)
    AchievementFactory(name="Far away", rule=Rule.LESSONS_COMPLETED, threshold=100)

    call_command("award_achievements", "--dry-run")
    assert f"First (id {first.pk}): would award 3 learner(s)" in capsys.readouterr().out
    assert not UserAchievement.objects.exists()

    call_command("award_achievements", "--achievement", str(first.pk), "--batch-size", "2")
    assert "awarded 3 learner(s)" in capsys.readouterr().out
    call_command("award_achievements")
    assert "Done: awarded 0 award(s)." in capsys.readouterr().out
    assert UserAchievement.objects.count() == 3


def test_management_command_refuses_an_unknown_achievement(db):
    with pytest.raises(CommandError, match="No active achievement with id 999"):
        call_command("award_achievements", "--achievement", "999")


LEARNERS = 10_000


@pytest.mark.django_db
@pytest.mark.parametrize("rule", [Rule.LESSONS_COMPLETED, Rule.STREAK_DAYS])
def test_backfill_of_ten_thousand_learners_runs_a_bounded_number_of_queries(
    rule, django_assert_max_num_queries
):
    """Every one of 10,000 learners completed two lessons on consecutive days.

    Bound: the achievement (1), the learners' counts (1; their time zones, streaks only),
    those already holding it (1); then per batch of 1,000, in its own transaction (a
    savepoint pair here, inside the test's transaction), the lock of its learners and
    their new page tokens (2), who got it meanwhile (1) and one INSERT: 4 + 6 * 10 = 64.
    """
    first, second = CourseFactory(lessons=2).lessons.order_by("position")
    user_model = get_user_model()
    user_model.objects.bulk_create(
        user_model(username=f"bulk{i}", password="!") for i in range(LEARNERS)
    )
    user_ids = list(user_model.objects.values_list("pk", flat=True))
    day_one = datetime(2026, 1, 1, 12, tzinfo=UTC)
    completions_create(
        (u, lesson.pk, day_one + timedelta(days))
        for days, lesson in enumerate((first, second))
        for u in user_ids
    )
    achievement = AchievementFactory(rule=rule, threshold=2)

    bound = 4 + 6 * math.ceil(LEARNERS / BACKFILL_BATCH_SIZE)
    with django_assert_max_num_queries(bound):
        awarded = achievement_backfill(achievement_id=achievement.pk)

    assert awarded == LEARNERS
    assert UserAchievement.objects.filter(achievement=achievement).count() == LEARNERS
