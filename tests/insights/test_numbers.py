"""Every number of the insights pages, on histories built by hand.

The school: one course of four lessons and seven learners, each at a different place.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from achievements.models import Rule
from courses.models import UserProgress
from courses.services import lesson_complete, lesson_uncomplete
from tests.factories import (
    AchievementFactory,
    CourseFactory,
    LessonFactory,
    UserAchievementFactory,
    UserFactory,
)
from tests.insights.helpers import body, history, tables

pytestmark = pytest.mark.django_db


def ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def school(db):
    course = CourseFactory(title="Python", slug="python", lessons=4)
    # Complete: 10 days from start to finish, last active 20 days ago.
    history(course, "ana", started=ago(30), done={1: ago(29), 2: ago(28), 3: ago(27), 4: ago(20)})
    # Half way, nothing for 18 days: stalled.
    history(course, "ben", started=ago(20), done={1: ago(19), 2: ago(18)})
    # A quarter, active 3 days ago.
    history(course, "cy", started=ago(10), done={1: ago(3)})
    # Three quarters, nothing for 30 days: stalled.
    history(
        course,
        "dee",
        started=ago(40),
        done={1: ago(39), 2: ago(38), 3: ago(30)},
        first_name="Dee",
        last_name="Dale",
    )
    # Complete in 4 days, active yesterday.
    history(course, "eve", started=ago(5), done={1: ago(5), 2: ago(4), 3: ago(3), 4: ago(1)})
    # Started 16 days ago, no completion left (she undid hers): stalled since she started.
    history(course, "fay", started=ago(16), done={})
    # A quarter, nothing for 12 days: stalled only when asked for 10 days.
    history(course, "gus", started=ago(12), done={1: ago(12)})
    return course


def course_page(client, course, query=""):
    return client.get(reverse("insights:course", args=[course.slug]) + query)


def test_funnel_counts_each_learner_at_the_milestones_they_reached(staff_client, school):
    page = tables(course_page(staff_client, school).content)

    assert body(page["Funnel"]) == [
        ["Started", "7", "100%"],
        ["Reached 25%", "6", "85%"],
        ["Reached 50%", "4", "57%"],
        ["Reached 75%", "3", "42%"],
        ["Completed", "2", "28%"],
    ]


def test_completions_by_lesson_in_course_order_with_the_largest_fall(staff_client, school):
    response = course_page(staff_client, school)

    titles = list(school.lessons.order_by("position").values_list("title", flat=True))
    assert body(tables(response.content)["Completions by lesson"]) == [
        ["1", titles[0], "6", "85%"],
        ["2", titles[1], "4", "57%"],
        ["3", titles[2], "3", "42%"],
        ["4", titles[3], "2", "28%"],
    ]
    assert response.context["largest_drop"].position == 2
    assert response.context["largest_drop_by"] == 2
    assert "The largest fall is at lesson 2" in response.content.decode()


def test_an_undone_lesson_is_not_counted(staff_client, school):
    learner = UserFactory(username="hal")
    first, second = school.lessons.order_by("position")[:2]
    lesson_complete(user=learner, lesson=first)
    lesson_complete(user=learner, lesson=second)
    lesson_uncomplete(user=learner, lesson=second)

    page = tables(course_page(staff_client, school).content)

    assert body(page["Completions by lesson"])[1][2] == "4"  # not 5
    assert body(page["Funnel"])[:3] == [
        ["Started", "8", "100%"],
        ["Reached 25%", "7", "87%"],
        ["Reached 50%", "4", "50%"],
    ]


def test_a_learner_who_finished_before_a_lesson_was_added_is_not_complete(staff_client, school):
    LessonFactory(course=school, position=10_000)  # no refresh ran: the counts still say 4

    response = course_page(staff_client, school)
    page = tables(response.content)

    assert body(page["Funnel"]) == [
        ["Started", "7", "100%"],
        # Of five lessons now: one is 20 % (cy, gus), two 40 % (ben), three 60 % (dee).
        ["Reached 25%", "4", "57%"],
        ["Reached 50%", "3", "42%"],
        ["Reached 75%", "2", "28%"],
        ["Completed", "0", "0%"],
    ]
    assert body(page["Completions by lesson"])[4][2:] == ["0", "0%"]
    overview = staff_client.get(reverse("insights:overview")).context["rows"][0]
    assert (overview.completed, overview.rate, overview.median_days) == (0, 0, None)
    # ana finished 20 days ago and has one lesson left now: she stalled.
    assert "ana" in [learner.username for learner in response.context["stalled"]]


def test_a_removed_lesson_never_takes_anyone_past_100_percent(staff_client, school):
    # Deleted outside the admin: completions go with it, the counts wait for a refresh.
    school.lessons.order_by("position").last().delete()
    assert UserProgress.objects.get(user__username="ana").lessons_done == 4

    page = tables(course_page(staff_client, school).content)

    # ana and eve, and dee, whose three lessons are all the course has now.
    assert body(page["Funnel"])[-1] == ["Completed", "3", "42%"]
    rows = staff_client.get(reverse("insights:learners_csv", args=[school.slug]))
    ana = next(
        line
        for line in b"".join(rows.streaming_content).decode().splitlines()
        if line.startswith("ana,")
    )
    assert ana.split(",")[4:7] == ["3", "3", "100"]


def test_stalled_learners_longest_idle_first_with_how_far_they_got(staff_client, school):
    response = course_page(staff_client, school)
    rows = body(tables(response.content)["Learners who stalled"])

    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("dee (Dee Dale)", "3 of 4", "75%"),
        ("ben", "2 of 4", "50%"),
        ("fay", "0 of 4", "0%"),
    ]
    assert rows[0][4].startswith(timezone.localtime(ago(30)).strftime("%-d %b %Y"))
    assert rows[2][4] == "No lesson completed"
    assert "3 learners started, did not complete the course" in response.content.decode()


def test_stalled_days_and_order_are_the_instructors_choice(staff_client, school):
    by_name = course_page(staff_client, school, "?days=10&sort=username")
    most_progress = course_page(staff_client, school, "?days=10&sort=-progress")

    names = [r[0].split()[0] for r in body(tables(by_name.content)["Learners who stalled"])]
    assert names == ["ben", "dee", "fay", "gus"]
    names = [r[0].split()[0] for r in body(tables(most_progress.content)["Learners who stalled"])]
    assert names == ["dee", "ben", "gus", "fay"]


def test_stalled_list_is_paginated(staff_client, school, settings):
    for n in range(30):
        history(school, f"zed{n:02}", started=ago(50), done={1: ago(45)})

    first = course_page(staff_client, school, "?sort=username")
    second = course_page(staff_client, school, "?sort=username&page=2")
    beyond = course_page(staff_client, school, "?sort=username&page=999")

    assert first.context["stalled"].paginator.count == 33
    assert len(body(tables(first.content)["Learners who stalled"])) == 25
    assert [r[0] for r in body(tables(second.content)["Learners who stalled"])][-1] == "zed29"
    assert len(body(tables(second.content)["Learners who stalled"])) == 8
    assert beyond.status_code == 200 and beyond.context["stalled"].number == 2
    assert 'rel="next"' in first.content.decode() and "page=2" in first.content.decode()


def test_activity_counts_completions_per_day_of_the_site_time_zone(staff_client, settings):
    settings.TIME_ZONE = "America/New_York"
    zone = ZoneInfo("America/New_York")
    course = CourseFactory(slug="late", lessons=3)
    day = timezone.localtime(timezone.now(), zone).date() - timedelta(days=2)
    late = datetime.combine(day, time(23, 30), tzinfo=zone)  # 04:30 UTC the next day
    early = datetime.combine(day + timedelta(days=1), time(0, 30), tzinfo=zone)
    history(course, "owl", started=late - timedelta(hours=1), done={1: late, 2: early})
    history(course, "lark", started=early, done={1: early + timedelta(hours=8)})

    response = course_page(staff_client, course)
    per_day = {r[0]: r[1] for r in body(tables(response.content)["Lesson completions per day"])}

    assert per_day[f"{day:%a} {day.day} {day:%b %Y}"] == "1"
    after = day + timedelta(days=1)
    assert per_day[f"{after:%a} {after.day} {after:%b %Y}"] == "2"
    assert len(per_day) == 90
    assert sum(int(n) for n in per_day.values()) == 3


def test_activity_over_a_chosen_range(staff_client, school):
    start = timezone.localtime(ago(31)).date()
    end = timezone.localtime(ago(26)).date()

    response = course_page(staff_client, school, f"?start={start}&end={end}")
    per_day = [int(r[1]) for r in body(tables(response.content)["Lesson completions per day"])]

    # ana's first three lessons (29, 28, 27 days ago); dee's third was 30 days ago.
    assert len(per_day) == 6
    assert sum(per_day) == 4
    assert response.context["activity_total"] == 4


def test_overview_row_of_a_course(staff_client, school):
    CourseFactory(title="Empty", slug="empty", lessons=2)

    response = staff_client.get(reverse("insights:overview"))
    rows = {row.course.slug: row for row in response.context["rows"]}
    table = body(next(t for c, t in tables(response.content).items() if c.startswith("Courses")))

    python = rows["python"]
    assert (python.started, python.completed, python.rate, python.active) == (7, 2, 28, 2)
    # ana took 10 days, eve 4: the median is their middle, 7.
    assert python.median_days == pytest.approx(7.0)
    assert table[1][:6] == ["Python 4 lessons", "7", "2", "28%", "7.0", "2"]
    assert table[0][:6] == [
        "Empty 2 lessons",
        "0",
        "0",
        "—no learners yet",
        "—none completed",
        "0",
    ]


def test_overview_median_of_an_odd_number_is_the_middle_one(staff_client):
    course = CourseFactory(slug="odd", lessons=1)
    for name, days in (("a", 1), ("b", 2), ("c", 9)):
        history(course, name, started=ago(20), done={1: ago(20 - days)})

    row = staff_client.get(reverse("insights:overview")).context["rows"][0]

    assert row.median_days == pytest.approx(2.0)


def test_overview_trend_counts_courses_finished_per_week_of_the_site(staff_client, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    zone = ZoneInfo("Asia/Tokyo")
    course = CourseFactory(slug="weekly", lessons=1)
    today = timezone.localtime(timezone.now(), zone).date()
    monday = datetime.combine(
        today - timedelta(days=today.weekday() + 7), time(0, 0, 30), tzinfo=zone
    )
    # Last week's Monday just after midnight, and its Sunday night just before: the
    # week before (in UTC both are on that Sunday).
    history(course, "mon", started=monday - timedelta(days=3), done={1: monday})
    history(
        course, "sun", started=monday - timedelta(days=3), done={1: monday - timedelta(minutes=2)}
    )
    history(
        course, "old", started=monday - timedelta(weeks=20), done={1: monday - timedelta(weeks=15)}
    )

    response = staff_client.get(reverse("insights:overview"))
    row = response.context["rows"][0]

    assert row.trend == [0] * 9 + [1, 1, 0]
    assert row.completed == 3
    assert "oldest first: 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0" in response.content.decode()


def test_achievements_of_the_course_with_their_holders(staff_client, school):
    finished = AchievementFactory(
        name="Pythonista", rule=Rule.COURSE_COMPLETED, threshold=None, course=school
    )
    halfway = AchievementFactory(
        name="Two in", rule=Rule.COURSE_LESSONS_COMPLETED, threshold=2, course=school
    )
    AchievementFactory(
        name="Elsewhere", rule=Rule.COURSE_COMPLETED, threshold=None, course=CourseFactory()
    )
    AchievementFactory(name="Any lesson", rule=Rule.LESSONS_COMPLETED, threshold=1)
    ana, eve, ben = (UserProgress.objects.get(user__username=n).user for n in ("ana", "eve", "ben"))
    UserAchievementFactory(user=ana, achievement=finished)
    UserAchievementFactory(
        user=eve, achievement=finished, revoked_at=timezone.now(), revoke_reason="Copied"
    )
    for learner in (ana, eve, ben):
        UserAchievementFactory(user=learner, achievement=halfway)

    rows = body(
        tables(course_page(staff_client, school).content)[
            "Achievements whose rule is about this course"
        ]
    )

    assert rows == [
        ["Pythonista", "A given course completed", "1"],
        ["Two in", "Lessons completed in one course: 2", "3"],
    ]
