"""Query counts must not grow with the catalogue, the achievements or the learners."""

import pytest
from django.urls import reverse

from achievements.models import Rule
from courses.services import lesson_complete
from tests.factories import (
    AchievementFactory,
    CourseFactory,
    LessonCompletionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SIZES = [
    pytest.param({"lessons": 2, "courses": 1, "achievements": 1, "learners": 1}, id="small"),
    pytest.param({"lessons": 40, "courses": 12, "achievements": 30, "learners": 25}, id="large"),
]

# Lock, lessons with the learner's completions, progress rows, insert completion,
# insert/update progress, the achievement check (the active achievements not held; when
# one is earned, one bulk insert), and the savepoint pair that atomic() becomes inside
# the test's transaction (tests/test_query_budget.py counts a completion exactly).
COMPLETION_QUERIES = 10
# Session, user, the page's own reads, and claiming unannounced achievements (an
# existence check, then a locked read and an update inside a savepoint). The
# achievements page also reads the learner's time zone, for streaks. The cached pages
# (dashboard, course) also ask, on a miss only, whether the learner teaches a course
# (the insights link, cached with the page).
PAGE_QUERIES = {"dashboard": 13, "course_detail": 13, "lesson_detail": 12, "achievement_list": 13}


def build_world(*, lessons, courses, achievements, learners):
    course = CourseFactory(lessons=lessons)
    for _ in range(courses - 1):
        CourseFactory(lessons=lessons)
    for n in range(achievements):
        AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=n + 1)
    first = course.lessons.order_by("position").first()
    for _ in range(learners - 1):
        LessonCompletionFactory(user=UserFactory(), lesson=first)
    return course


@pytest.mark.parametrize("size", SIZES)
def test_completion_query_count_is_constant(size, django_assert_max_num_queries):
    course = build_world(**size)
    learner = UserFactory()
    lessons = list(course.lessons.order_by("position").select_related("course"))

    # First completion (creates the progress row), then every kind of later one.
    for lesson in lessons:
        with django_assert_max_num_queries(COMPLETION_QUERIES):
            lesson_complete(user=learner, lesson=lesson)
    with django_assert_max_num_queries(COMPLETION_QUERIES):
        lesson_complete(user=learner, lesson=lessons[0])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("url_name", list(PAGE_QUERIES))
def test_page_query_count_is_constant(size, url_name, client, django_assert_max_num_queries):
    course = build_world(**size)
    learner = UserFactory()
    lessons = list(course.lessons.order_by("position"))
    for lesson in lessons[: len(lessons) // 2 or 1]:
        lesson_complete(
            user=learner, lesson=course.lessons.select_related("course").get(pk=lesson.pk)
        )
    client.force_login(learner)
    url = {
        "dashboard": reverse("dashboard"),
        "course_detail": course.get_absolute_url(),
        "lesson_detail": lessons[-1].get_absolute_url(),
        "achievement_list": reverse("achievement_list"),
    }[url_name]

    with django_assert_max_num_queries(PAGE_QUERIES[url_name]):
        response = client.get(url)
    assert response.status_code == 200


# Session, user, the lesson, the completion itself, and claiming the achievements it
# unlocked for the toast (an existence check, then a locked read and an update).
COMPLETE_REQUEST_QUERIES = 18


@pytest.mark.parametrize("size", SIZES)
def test_complete_lesson_request_query_count_is_constant(
    size, client, django_assert_max_num_queries
):
    course = build_world(**size)
    learner = UserFactory()
    client.force_login(learner)
    for lesson in course.lessons.order_by("position"):
        url = reverse("lesson_complete", args=[course.slug, lesson.slug])
        with django_assert_max_num_queries(COMPLETE_REQUEST_QUERIES):
            response = client.post(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
