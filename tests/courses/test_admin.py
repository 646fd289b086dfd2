"""Admin: courses with inline lessons, and progress lists that stay fast."""

import re

import pytest
from django.urls import reverse

from courses.models import Lesson, UserProgress
from courses.services import lesson_complete
from tests.factories import CourseFactory, LessonCompletionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def inline_data(course, lessons, extra=()):
    """POST data for the course change form with its lesson inline."""
    rows = [
        {"id": lesson.pk, "position": lesson.position, "title": lesson.title, "slug": lesson.slug}
        for lesson in lessons
    ] + list(extra)
    data = {
        "title": course.title,
        "slug": course.slug,
        "description": course.description,
        "position": course.position,
        "is_published": "on",
        "lessons-TOTAL_FORMS": len(rows),
        "lessons-INITIAL_FORMS": len(lessons),
        "lessons-MIN_NUM_FORMS": 0,
        "lessons-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lessons-{i}-{key}"] = value
        data[f"lessons-{i}-course"] = course.pk
    return data


def test_admin_adding_a_lesson_reopens_finished_courses(
    staff_client, course, lessons, django_capture_on_commit_callbacks
):
    learner = UserFactory()
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)
    url = reverse("admin:courses_course_change", args=[course.pk])

    with django_capture_on_commit_callbacks(execute=True):  # the worker's refresh
        response = staff_client.post(
            url,
            inline_data(course, lessons, [{"position": 999, "title": "Bonus", "slug": "bonus"}]),
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert course.lessons.count() == 5
    assert UserProgress.objects.get(user=learner, course=course).completed_at is None


def test_admin_refuses_duplicate_lesson_positions_with_a_form_error(staff_client, course, lessons):
    url = reverse("admin:courses_course_change", args=[course.pk])

    response = staff_client.post(
        url,
        inline_data(
            course, lessons, [{"position": lessons[0].position, "title": "Clash", "slug": "clash"}]
        ),
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data for position." in response.content.decode()
    assert not Lesson.objects.filter(slug="clash").exists()


def test_admin_can_swap_two_lessons(staff_client, course, lessons):
    first, second = lessons[0], lessons[1]
    rows = [
        {"id": lesson.pk, "position": lesson.position, "title": lesson.title, "slug": lesson.slug}
        for lesson in lessons
    ]
    rows[0]["position"], rows[1]["position"] = second.position, first.position
    data = inline_data(course, [])
    data.update({"lessons-TOTAL_FORMS": len(rows), "lessons-INITIAL_FORMS": len(rows)})
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lessons-{i}-{key}"] = value
        data[f"lessons-{i}-course"] = course.pk

    response = staff_client.post(reverse("admin:courses_course_change", args=[course.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, second.position) == (rows[0]["position"], rows[1]["position"])
    assert list(course.lessons.order_by("position")[:2]) == [second, first]


def test_admin_can_give_a_deleted_lessons_position_to_another(staff_client, course, lessons):
    data = inline_data(course, lessons)
    data["lessons-0-DELETE"] = "on"
    data["lessons-3-position"] = lessons[0].position

    response = staff_client.post(reverse("admin:courses_course_change", args=[course.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Lesson.objects.filter(pk=lessons[0].pk).exists()
    lessons[3].refresh_from_db()
    assert lessons[3].position == lessons[0].position


def test_admin_course_list_shows_lesson_counts(staff_client, django_assert_max_num_queries):
    counts = {CourseFactory(lessons=n).title: n for n in (0, 1, 3, 7) for _ in range(4)}
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("admin:courses_course_changelist"))
    assert response.status_code == 200
    shown = dict(
        re.findall(
            r'<th class="field-title"><a [^>]*>([^<]+)</a></th>.*?'
            r'<td class="field-lesson_count">(\d+)</td>',
            response.text,
            flags=re.S,
        )
    )
    assert {title: int(n) for title, n in shown.items()} == counts


@pytest.mark.parametrize(
    "url_name",
    ["admin:courses_userprogress_changelist", "admin:courses_lessoncompletion_changelist"],
)
def test_admin_progress_lists_do_not_query_per_row(
    staff_client, url_name, django_assert_max_num_queries
):
    course = CourseFactory(lessons=3)
    for lesson in course.lessons.all():
        for _ in range(10):
            learner = UserFactory()
            LessonCompletionFactory(user=learner, lesson=lesson)
            UserProgress.objects.get_or_create(user=learner, course=course)
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse(url_name))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert staff_client.get(reverse(url_name), {"q": "learner"}).status_code == 200


def test_non_staff_cannot_reach_the_admin(learner_client):
    response = learner_client.get(reverse("admin:courses_course_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
