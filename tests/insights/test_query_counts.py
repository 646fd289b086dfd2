"""Insights pages run the same number of queries at any size (courses, lessons,
learners, achievements); tests/courses/test_query_counts.py's style."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from achievements.models import Rule
from courses.services import lesson_uncomplete
from tests.factories import AchievementFactory, CourseFactory, UserAchievementFactory, UserFactory
from tests.insights.helpers import history

pytestmark = pytest.mark.django_db

SIZES = [
    pytest.param({"courses": 1, "lessons": 2, "learners": 2}, id="small"),
    pytest.param({"courses": 6, "lessons": 12, "learners": 40}, id="large"),
]
# Session, user, then the courses with their lesson counts, learners by count of lessons
# done, courses finished by week, medians (a superuser: no permission read).
OVERVIEW = 6
# Session, user, the course; its lessons with their completions, the funnel, the days'
# activity, the stalled learners (count, page), the course's achievements.
COURSE = 9
# A fragment: session, user, the course, how many lessons, then its own one or two.
STALLED_FRAGMENT = 6
ACTIVITY_FRAGMENT = 5
# Session, user, the course, its lesson count, the learners (one chunked read).
LEARNERS_CSV = 5
SUMMARY_CSV = 5


def build(*, courses, lessons, learners):
    now = timezone.now()
    made = [CourseFactory(lessons=lessons) for _ in range(courses)]
    for course in made:
        achievement = AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=course)
        for n in range(learners):
            done = {i: now - timedelta(days=30 - i) for i in range(1, 1 + n % (lessons + 1))}
            learner = history(
                course, f"{course.slug}-{n}", started=now - timedelta(days=40), done=done
            )
            if len(done) == lessons:
                UserAchievementFactory(user=learner, achievement=achievement)
    return made[0]


@pytest.mark.parametrize("size", SIZES)
def test_insights_pages_run_a_fixed_number_of_queries(
    size, staff_client, django_assert_num_queries
):
    course = build(**size)
    page = reverse("insights:course", args=[course.slug])

    with django_assert_num_queries(OVERVIEW):
        assert staff_client.get(reverse("insights:overview")).status_code == 200
    with django_assert_num_queries(COURSE):
        assert staff_client.get(page + "?days=10&sort=-progress&page=2").status_code == 200
    with django_assert_num_queries(STALLED_FRAGMENT):
        staff_client.get(page + "?days=5", headers={"HX-Request": "true", "HX-Target": "stalled"})
    with django_assert_num_queries(ACTIVITY_FRAGMENT):
        staff_client.get(page, headers={"HX-Request": "true", "HX-Target": "activity"})
    with django_assert_num_queries(LEARNERS_CSV):
        b"".join(
            staff_client.get(reverse("insights:learners_csv", args=[course.slug])).streaming_content
        )
    with django_assert_num_queries(SUMMARY_CSV):
        b"".join(
            staff_client.get(reverse("insights:summary_csv", args=[course.slug])).streaming_content
        )


@pytest.mark.parametrize("lessons", [2, 30])
def test_undoing_a_lesson_reads_the_last_activity_in_one_statement(
    lessons, django_assert_num_queries
):
    """The lock, the lessons with the learner's completions, their progress rows, the
    delete, the newest completion left, the progress row's update, and the savepoint
    pair atomic() becomes inside the test's transaction: one more than before insights
    (the newest completion), whatever the course's size."""
    learner = UserFactory()
    course = CourseFactory(lessons=lessons)
    now = timezone.now()
    history(course, learner.username, started=now, done={i: now for i in range(1, lessons + 1)})
    last = course.lessons.order_by("position").select_related("course").last()

    with django_assert_num_queries(8):
        lesson_uncomplete(user=learner, lesson=last)
