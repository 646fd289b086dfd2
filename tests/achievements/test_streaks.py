"""Streaks: consecutive calendar days in the learner's own time zone, longest ever."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from achievements.models import Rule, Trigger, UserAchievement
from achievements.selectors import learner_stats_get
from achievements.services import learner_time_zone_change
from achievements.streaks import local_days, longest_streak
from tests.achievements.helpers import backfilled_from_scratch, complete_at, completions_create
from tests.factories import AchievementFactory, CourseFactory, LearnerProfileFactory, UserFactory


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_longest_streak_counts_the_longest_run_of_consecutive_days():
    days = [date(2026, 1, d) for d in (1, 2, 3, 5, 6, 6, 7, 8, 10)]
    assert longest_streak(days) == 4  # 5, 6, 7, 8; the duplicate 6 counts once
    assert longest_streak([]) == 0
    assert longest_streak([date(2026, 1, 1)]) == 1


def test_streak_crosses_month_and_year_ends():
    assert longest_streak([date(2025, 12, 31), date(2026, 1, 1), date(2026, 2, 28)]) == 2
    assert longest_streak([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]) == 3


@given(st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 3, 1)), max_size=30))
def test_longest_streak_matches_a_naive_count(days):
    """The longest run is the largest k such that some day starts k consecutive days."""
    naive = max(
        (
            next(k for k in range(1, len(days) + 2) if d + timedelta(days=k) not in days)
            for d in days
        ),
        default=0,
    )
    assert longest_streak(days) == naive


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # 23:30 and 00:30 UTC straddle midnight in UTC only.
        ("UTC", {date(2026, 1, 1), date(2026, 1, 2)}),
        ("Europe/Paris", {date(2026, 1, 2)}),  # 00:30 and 01:30 on the 2nd
        ("America/New_York", {date(2026, 1, 1)}),  # 18:30 and 19:30 on the 1st
        ("Pacific/Kiritimati", {date(2026, 1, 2)}),  # UTC+14: 13:30 and 14:30 on the 2nd
    ],
)
def test_local_days_follow_the_time_zone_across_midnight(zone, expected):
    moments = [utc(2026, 1, 1, 23, 30), utc(2026, 1, 2, 0, 30)]
    assert local_days(moments, ZoneInfo(zone)) == expected


def test_daylight_saving_change_does_not_break_a_streak():
    """Paris springs forward on 2026-03-29: that day has 23 hours, still one day."""
    paris = ZoneInfo("Europe/Paris")
    moments = [
        utc(2026, 3, 28, 22, 30),  # 23:30 CET on the 28th
        utc(2026, 3, 29, 21, 30),  # 23:30 CEST on the 29th
        utc(2026, 3, 29, 22, 30),  # 00:30 CEST on the 30th
    ]
    assert longest_streak(local_days(moments, paris)) == 3


@pytest.mark.django_db
class TestStreakInTheLearnersTimeZone:
    @pytest.fixture
    def lessons(self):
        return list(CourseFactory(lessons=4).lessons.order_by("position"))

    def test_a_learner_without_a_profile_counts_in_settings_time_zone(self, lessons, settings):
        settings.TIME_ZONE = "America/New_York"
        user = UserFactory()
        # Two UTC days, but one New York evening.
        completions_create(
            [
                (user.pk, lessons[0].pk, utc(2026, 1, 1, 23, 30)),
                (user.pk, lessons[1].pk, utc(2026, 1, 2, 0, 30)),
            ]
        )
        assert learner_stats_get(user=user).longest_streak == 1

    def test_the_profile_time_zone_decides_live_and_backfill_alike(self, lessons):
        achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=2)
        paris = UserFactory()
        LearnerProfileFactory(user=paris, time_zone="Europe/Paris")
        auckland = UserFactory()
        LearnerProfileFactory(user=auckland, time_zone="Pacific/Auckland")
        for user in (paris, auckland):
            # 22:30 and 23:30 UTC: the same day in UTC and in Auckland (next morning there),
            # but 23:30 and 00:30 in Paris: two days.
            complete_at(user=user, lesson=lessons[0], at=utc(2026, 1, 1, 22, 30))
            complete_at(user=user, lesson=lessons[1], at=utc(2026, 1, 1, 23, 30))
        live = set(UserAchievement.objects.values_list("user_id", "achievement_id"))
        assert live == {(paris.pk, achievement.pk)}
        assert backfilled_from_scratch() == live

    def test_a_streak_broken_by_a_day_off_counts_its_longest_run(self, lessons):
        user = UserFactory()
        achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=3)
        for lesson, day in zip(lessons, (1, 2, 4, 5), strict=True):
            complete_at(user=user, lesson=lesson, at=utc(2026, 1, day, 12))
        assert learner_stats_get(user=user).longest_streak == 2
        assert not UserAchievement.objects.filter(achievement=achievement).exists()

    def test_changing_time_zone_awards_a_streak_it_now_makes(self, lessons):
        user = UserFactory()
        achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=2)
        complete_at(user=user, lesson=lessons[0], at=utc(2026, 1, 1, 22, 30))
        complete_at(user=user, lesson=lessons[1], at=utc(2026, 1, 1, 23, 30))
        assert not UserAchievement.objects.exists()  # one day in UTC

        unlocked = learner_time_zone_change(user=user, time_zone="Europe/Paris")

        assert unlocked == [achievement]
        award = UserAchievement.objects.get()
        assert award.trigger == Trigger.TIME_ZONE_CHANGE


@pytest.mark.django_db
class TestTheLiveCheckReadsARecentWindow:
    """A completion can only lengthen the run of days ending on its own day, so the live
    check reads the last (threshold + 2) days; the backfill reads everything."""

    @pytest.fixture
    def lessons(self):
        return list(CourseFactory(lessons=40).lessons.order_by("position"))

    def test_a_long_streak_is_awarded_on_the_day_it_is_reached(self, lessons):
        user = UserFactory()
        LearnerProfileFactory(user=user, time_zone="Pacific/Kiritimati")  # UTC+14
        achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=30)
        for day in range(30):
            # 23:50 local time: each day's run is only whole at the very end of the window.
            result = complete_at(
                user=user, lesson=lessons[day], at=utc(2026, 1, 1, 9, 50) + timedelta(days=day)
            )
            assert result.achievements_unlocked == ((achievement,) if day == 29 else ())

    def test_the_window_reaches_across_a_daylight_saving_change(self, lessons):
        """Paris falls back on 2026-10-25, a 25-hour day: two local days span 49 hours here."""
        user = UserFactory()
        LearnerProfileFactory(user=user, time_zone="Europe/Paris")
        achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=2)
        complete_at(user=user, lesson=lessons[0], at=utc(2026, 10, 24, 22, 0, 10))  # 00:00:10
        result = complete_at(user=user, lesson=lessons[1], at=utc(2026, 10, 26, 22, 59, 50))
        assert result.achievements_unlocked == (achievement,)  # 23:59:50 the next day

    def test_a_streak_reached_before_the_achievement_existed_is_the_backfills(self, lessons):
        """The admin's save schedules that backfill; the next completion does not look back."""
        user = UserFactory()
        completions_create(
            [
                (user.pk, lesson.pk, utc(2026, 1, day, 12))
                for lesson, day in zip(lessons, (1, 2, 3), strict=False)
            ]
        )
        achievement = AchievementFactory(rule=Rule.STREAK_DAYS, threshold=3)

        assert (
            complete_at(user=user, lesson=lessons[3], at=utc(2026, 2, 1, 12)).achievements_unlocked
            == ()
        )
        assert backfilled_from_scratch() == {(user.pk, achievement.pk)}
