"""Each rule type: the live check and the backfill award the same learners on the same data."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import LearnerProfile
from achievements.models import Rule, Trigger
from achievements.rules import rule_describe, rule_progress
from achievements.selectors import learner_stats_get
from achievements.services import achievements_award_earned
from courses.models import Lesson, UserProgress
from courses.services import course_completion_refresh, lesson_uncomplete
from tests.achievements.helpers import (
    awarded,
    backfilled_from_scratch,
    complete_at,
    completions_create,
)
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, UserFactory

START = datetime(2026, 3, 25, tzinfo=UTC)  # spans the European and NZ clock changes


def day(n: int, hour: int = 12) -> datetime:
    return START + timedelta(days=n, hours=hour)


@pytest.fixture
def two_courses(db):
    return [CourseFactory(lessons=3), CourseFactory(lessons=3)]


def _lessons(course) -> list[Lesson]:
    return list(course.lessons.order_by("position"))


RULE_CASES = {
    "lessons in total": dict(rule=Rule.LESSONS_COMPLETED, threshold=3),
    "lessons in one course": dict(rule=Rule.COURSE_LESSONS_COMPLETED, threshold=2, course=0),
    "courses completed": dict(rule=Rule.COURSES_COMPLETED, threshold=1),
    "a given course completed": dict(rule=Rule.COURSE_COMPLETED, threshold=None, course=1),
    "streak": dict(rule=Rule.STREAK_DAYS, threshold=3),
}


@pytest.mark.parametrize("case", RULE_CASES.values(), ids=RULE_CASES.keys())
def test_live_and_backfill_agree_for_each_rule_type(two_courses, case):
    """Learners built to sit on both sides of every threshold, completed through the service."""
    kwargs = dict(case)
    if "course" in kwargs:
        kwargs["course"] = two_courses[kwargs["course"]]
    achievement = AchievementFactory(**kwargs)
    a, b = (_lessons(c) for c in two_courses)
    histories = {
        "nothing": [],
        "two lessons one day": [(a[0], day(0)), (b[0], day(0, 13))],
        "three days in a row": [(a[0], day(0)), (a[1], day(1)), (b[0], day(2))],
        "course b done, gaps": [(b[0], day(0)), (b[1], day(2)), (b[2], day(4))],
        "everything": [(lesson, day(i)) for i, lesson in enumerate(a + b)],
    }
    for name, history in histories.items():
        user = UserFactory(username=name.replace(" ", "-"))
        for lesson, at in history:
            complete_at(user=user, lesson=lesson, at=at)

    live = awarded()
    assert live, "some learner qualifies for every rule type"
    assert len(live) < len(histories), "some learner does not"
    assert backfilled_from_scratch() == live
    assert all(achievement_id == achievement.pk for _, achievement_id in live)


def test_progress_reports_current_over_target_for_each_rule_type(two_courses, learner):
    a, b = (_lessons(c) for c in two_courses)
    for i, lesson in enumerate([a[0], a[1], a[2], b[0]]):
        complete_at(user=learner, lesson=lesson, at=day(i if i < 2 else i + 1))
    stats = learner_stats_get(user=learner)
    b_title = two_courses[1].title
    expected = {
        Rule.LESSONS_COMPLETED: (4, 10, "lessons", "10 lessons completed in total"),
        Rule.COURSE_LESSONS_COMPLETED: (1, 3, "lessons", f"3 lessons completed in “{b_title}”"),
        Rule.COURSES_COMPLETED: (1, 2, "courses", "2 courses completed"),
        Rule.COURSE_COMPLETED: (0, 1, "course", f"“{b_title}” completed"),
        # days 0, 1, then 3, 4
        Rule.STREAK_DAYS: (2, 5, "days in a row", "Lessons completed on 5 consecutive days"),
    }
    for rule, (current, target, unit, description) in expected.items():
        achievement = AchievementFactory.build(
            rule=rule,
            threshold=None if rule == Rule.COURSE_COMPLETED else target,
            course=two_courses[1]
            if rule in (Rule.COURSE_LESSONS_COMPLETED, Rule.COURSE_COMPLETED)
            else None,
        )
        progress = rule_progress(achievement, stats)
        assert (progress.current, progress.target, progress.unit) == (current, target, unit)
        assert not progress.reached
        assert rule_describe(achievement) == description


def test_undoing_a_lesson_never_revokes_an_achievement(two_courses, learner):
    a = _lessons(two_courses[0])
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=2)
    complete_at(user=learner, lesson=a[0], at=day(0))
    complete_at(user=learner, lesson=a[1], at=day(0))
    assert awarded() == {(learner.pk, achievement.pk)}

    lesson_uncomplete(user=learner, lesson=a[1])

    assert awarded() == {(learner.pk, achievement.pk)}
    assert not rule_progress(achievement, learner_stats_get(user=learner)).reached


@pytest.fixture
def four_learners(db):
    return UserFactory.create_batch(4)


ZONES = [None, "UTC", "Europe/Paris", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]

histories = st.fixed_dictionaries(
    {
        # (learner, lesson) -> (day, minute of the day): at most one completion per pair.
        "completions": st.dictionaries(
            st.tuples(st.integers(0, 3), st.integers(0, 5)),
            st.tuples(st.integers(0, 8), st.integers(0, 24 * 60 - 1)),
            max_size=18,
        ),
        "zones": st.lists(st.sampled_from(ZONES), min_size=4, max_size=4),
        "lesson_added_later": st.tuples(st.booleans(), st.booleans()),
        "thresholds": st.fixed_dictionaries(
            {
                Rule.LESSONS_COMPLETED: st.integers(1, 6),
                Rule.COURSE_LESSONS_COMPLETED: st.integers(1, 3),
                Rule.COURSES_COMPLETED: st.integers(1, 2),
                Rule.STREAK_DAYS: st.integers(1, 5),
            }
        ),
        "course_of_rule": st.tuples(st.integers(0, 1), st.integers(0, 1)),
    }
)


def database_examples(count: int):
    """Hypothesis settings for examples that write to the database: no deadline (a
    PostgreSQL round trip varies), and the fixtures are shared on purpose (each example
    rolls its own writes back)."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _history_create(history: dict, *, users: list, courses: list, lessons: list) -> None:
    """The history's completions, with the progress rows of the courses they touch."""
    completions_create(
        (users[u].pk, lessons[lesson].pk, day(d, 0) + timedelta(minutes=minute))
        for (u, lesson), (d, minute) in history["completions"].items()
    )


@pytest.mark.django_db
@database_examples(40)
@given(history=histories)
def test_live_and_backfill_agree_on_random_histories(two_courses, four_learners, history):
    """Random learners, moments, time zones and lessons added later; every rule type.

    Each example runs in a savepoint that is rolled back, on SQLite and PostgreSQL alike.
    """
    users = four_learners
    with transaction.atomic():
        lessons = _lessons(two_courses[0]) + _lessons(two_courses[1])
        for user, zone in zip(users, history["zones"], strict=True):
            LearnerProfile.objects.filter(user=user).update(time_zone=zone or "")
        _history_create(history, users=users, courses=two_courses, lessons=lessons)
        for course, added in zip(two_courses, history["lesson_added_later"], strict=True):
            course_completion_refresh(course=course)
            if added:  # after learners finished it: they no longer have
                LessonFactory(course=course, position=99)
                course_completion_refresh(course=course)
        thresholds = history["thresholds"]
        first, second = (two_courses[i] for i in history["course_of_rule"])
        for rule, kwargs in {
            Rule.LESSONS_COMPLETED: {"threshold": thresholds[Rule.LESSONS_COMPLETED]},
            Rule.COURSE_LESSONS_COMPLETED: {
                "threshold": thresholds[Rule.COURSE_LESSONS_COMPLETED],
                "course": first,
            },
            Rule.COURSES_COMPLETED: {"threshold": thresholds[Rule.COURSES_COMPLETED]},
            Rule.COURSE_COMPLETED: {"course": second, "threshold": None},
            Rule.STREAK_DAYS: {"threshold": thresholds[Rule.STREAK_DAYS]},
        }.items():
            AchievementFactory(rule=rule, **kwargs)

        for user in users:
            achievements_award_earned(user=user, trigger=Trigger.BACKFILL)
        live = awarded()
        event(f"{len(live)} awards")  # --hypothesis-show-statistics shows the spread

        assert backfilled_from_scratch() == live
        transaction.set_rollback(True)


chronological_histories = st.fixed_dictionaries(
    {
        # Per learner, the gaps in minutes between completions of lessons 0, 1, 2, ...
        "gaps": st.lists(st.lists(st.integers(1, 3 * 24 * 60), max_size=6), min_size=2, max_size=2),
        "zones": st.lists(st.sampled_from([*ZONES, "Pacific/Kiritimati"]), min_size=2, max_size=2),
        "streak": st.integers(1, 4),
        "lessons": st.integers(1, 4),
    }
)


@pytest.mark.django_db
@database_examples(30)
@given(history=chronological_histories)
def test_completions_as_they_happen_award_what_the_backfill_does(two_courses, history):
    """Every achievement exists from the start and every completion goes through the
    service at its own moment: the live check, reading only recent days for streaks,
    awards exactly what a backfill from scratch would."""
    with transaction.atomic():
        lessons = _lessons(two_courses[0]) + _lessons(two_courses[1])
        for rule, kwargs in {
            Rule.LESSONS_COMPLETED: {"threshold": history["lessons"]},
            Rule.COURSE_LESSONS_COMPLETED: {"threshold": 2, "course": two_courses[0]},
            Rule.COURSES_COMPLETED: {"threshold": 1},
            Rule.COURSE_COMPLETED: {"course": two_courses[1], "threshold": None},
            Rule.STREAK_DAYS: {"threshold": history["streak"]},
        }.items():
            AchievementFactory(rule=rule, **kwargs)
        for n, (gaps, zone) in enumerate(zip(history["gaps"], history["zones"], strict=True)):
            user = UserFactory(username=f"chronological-{n}")
            if zone:
                LearnerProfile.objects.filter(user=user).update(time_zone=zone)
            at = day(0, 0)
            for lesson, gap in zip(lessons, gaps, strict=False):
                at += timedelta(minutes=gap)
                complete_at(user=user, lesson=lesson, at=at)
        live = awarded()
        event(f"{len(live)} awards")

        assert backfilled_from_scratch() == live
        transaction.set_rollback(True)


@pytest.mark.django_db
@database_examples(25)
@given(history=histories)
def test_progress_rows_count_what_the_completions_say(two_courses, four_learners, history):
    """The live check judges from progress rows (their lesson counts, their completed
    courses): on random histories, lessons added later included, those are exactly the
    counts the learner's completions give, as the achievements page reads them."""
    users = four_learners
    with transaction.atomic():
        lessons = _lessons(two_courses[0]) + _lessons(two_courses[1])
        _history_create(history, users=users, courses=two_courses, lessons=lessons)
        for course in two_courses:
            course_completion_refresh(course=course)
        for user in users:
            stats = learner_stats_get(user=user)
            rows = UserProgress.objects.filter(user=user)
            assert {r.course_id: r.lessons_done for r in rows if r.lessons_done} == dict(
                stats.lessons_by_course
            )
            assert {r.course_id for r in rows if r.completed_at} == stats.completed_course_ids
        transaction.set_rollback(True)


@pytest.mark.postgres_only
@pytest.mark.django_db
@database_examples(40)
@given(history=histories)
def test_the_sql_streaks_are_the_python_ones(two_courses, four_learners, history):
    """PostgreSQL counts every learner's longest streak in one statement (gaps and
    islands over local days); Python counts it as the live check does. On random
    histories, in random time zones across daylight saving changes: the same numbers."""
    from zoneinfo import ZoneInfo

    from achievements.rules import learners_longest_streaks
    from achievements.streaks import local_days, longest_streak

    users = four_learners
    with transaction.atomic():
        lessons = _lessons(two_courses[0]) + _lessons(two_courses[1])
        for user, zone in zip(users, history["zones"], strict=True):
            LearnerProfile.objects.filter(user=user).update(time_zone=zone or "")
        _history_create(history, users=users, courses=two_courses, lessons=lessons)
        expected = {}
        for user, zone in zip(users, history["zones"], strict=True):
            moments = user.lesson_completions.values_list("completed_at", flat=True)
            days = longest_streak(local_days(moments, ZoneInfo(zone or "UTC")))
            if days:
                expected[user.pk] = days

        assert learners_longest_streaks() == expected
        transaction.set_rollback(True)
