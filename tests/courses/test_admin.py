"""Admin: courses with inline lessons, and progress lists that stay fast."""

import re

import pytest
from django.urls import reverse

from courses.admin import CappedCountPaginator
from courses.models import Lesson, UserProgress
from courses.services import lesson_complete
from tests.factories import CourseFactory, UserFactory

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


LIST_URLS = [
    "admin:courses_course_changelist",
    "admin:courses_userprogress_changelist",
    "admin:courses_lessoncompletion_changelist",
    "admin:achievements_achievement_changelist",
    "admin:achievements_userachievement_changelist",
]


def _school(learners: int) -> None:
    """Learners who each completed a course's three lessons and hold its achievements."""
    from achievements.models import Rule
    from tests.factories import AchievementFactory

    course = CourseFactory(lessons=3)
    for n in range(3):
        AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=n + 1)
    for _ in range(learners):
        learner = UserFactory()
        for lesson in course.lessons.select_related("course"):
            lesson_complete(user=learner, lesson=lesson)


@pytest.mark.parametrize("learners", [2, 40])
@pytest.mark.parametrize("url_name", LIST_URLS)
def test_admin_lists_cost_the_same_whatever_their_size(
    staff_client, url_name, learners, django_assert_max_num_queries
):
    _school(learners)
    with django_assert_max_num_queries(7):
        response = staff_client.get(reverse(url_name))
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        assert staff_client.get(reverse(url_name), {"q": "learner"}).status_code == 200


def test_a_large_list_counts_up_to_a_cap_and_says_so(staff_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 5)
    _school(2)  # 6 completions

    completions = staff_client.get(reverse("admin:courses_lessoncompletion_changelist")).text
    progress = staff_client.get(reverse("admin:courses_userprogress_changelist")).text

    assert "More than 5 lesson completions" in completions
    assert "2 course progress" in progress


def test_searching_a_large_list_finds_the_learners_rows_by_the_start_of_their_name(staff_client):
    _school(3)
    ada = UserFactory(username="ada.lovelace")
    lesson_complete(user=ada, lesson=Lesson.objects.select_related("course").first())

    found = staff_client.get(reverse("admin:courses_lessoncompletion_changelist"), {"q": "ADA"})
    assert found.context["cl"].result_count == 1
    assert "ada.lovelace" in found.text
    nothing = staff_client.get(reverse("admin:courses_lessoncompletion_changelist"), {"q": "love"})
    assert nothing.context["cl"].result_count == 0


def test_non_staff_cannot_reach_the_admin(learner_client):
    response = learner_client.get(reverse("admin:courses_course_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("learners", [1, 30])
def test_a_course_save_costs_the_same_whatever_the_number_of_learners(
    staff_client, course, lessons, learners, django_assert_max_num_queries
):
    """The request only saves and enqueues: the learners' progress is the worker's."""
    for _ in range(learners):
        learner = UserFactory()
        for lesson in lessons:
            lesson_complete(user=learner, lesson=lesson)
    data = inline_data(course, lessons, [{"position": 999, "title": "Bonus", "slug": "bonus"}])

    with django_assert_max_num_queries(40):
        response = staff_client.post(reverse("admin:courses_course_change", args=[course.pk]), data)

    assert response.status_code == 302
    assert UserProgress.objects.exclude(completed_at=None).count() == learners  # not yet
