"""Lessons added or removed after learners progressed: progress follows the lessons that exist
now, a course finished earlier is no longer complete once a lesson is added, and the
achievements it earned stay."""

import pytest
from django.urls import reverse

from achievements.models import Rule, UserAchievement
from courses.models import UserProgress
from courses.selectors import course_lessons_and_progress
from courses.services import course_completion_refresh, lesson_complete
from tests.factories import AchievementFactory, LessonFactory


@pytest.fixture
def finished(learner, course, lessons):
    """The learner finished the course and earned both course achievements."""
    AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=course)
    AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=1)
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)
    assert UserAchievement.objects.filter(user=learner).count() == 2
    return course


def _admin_course_data(course, *, add: dict | None = None, delete: int | None = None) -> dict:
    """The course change form as the admin posts it, with its lesson inline."""
    lessons = list(course.lessons.order_by("position"))
    data = {
        "title": course.title,
        "slug": course.slug,
        "description": course.description,
        "is_published": "on",
        "position": course.position,
        "lessons-TOTAL_FORMS": len(lessons) + (1 if add else 0),
        "lessons-INITIAL_FORMS": len(lessons),
        "lessons-MIN_NUM_FORMS": 0,
        "lessons-MAX_NUM_FORMS": 1000,
    }
    for i, lesson in enumerate(lessons):
        prefix = f"lessons-{i}-"
        data.update(
            {
                prefix + "id": lesson.pk,
                prefix + "course": course.pk,
                prefix + "position": lesson.position,
                prefix + "title": lesson.title,
                prefix + "slug": lesson.slug,
                prefix + "body": lesson.body,
            }
        )
        if delete == i:
            data[prefix + "DELETE"] = "on"
    if add:
        prefix = f"lessons-{len(lessons)}-"
        data.update({prefix + "course": course.pk, **{prefix + k: v for k, v in add.items()}})
    return data


def test_admin_adding_a_lesson_reopens_the_course_but_keeps_its_achievements(
    admin_client, learner, finished, django_capture_on_commit_callbacks
):
    url = reverse("admin:courses_course_change", args=[finished.pk])
    new = {"position": 99, "title": "Bonus lesson", "slug": "bonus-lesson", "body": "More."}

    with django_capture_on_commit_callbacks(execute=True):  # the worker's refresh
        response = admin_client.post(url, _admin_course_data(finished, add=new))

    assert response.status_code == 302
    assert finished.lessons.count() == 5
    assert UserProgress.objects.get(user=learner, course=finished).completed_at is None
    progress = course_lessons_and_progress(user=learner, course=finished)[1]
    assert (progress.completed_count, progress.total_lessons, progress.percentage) == (4, 5, 80)
    assert not progress.is_completed
    assert UserAchievement.objects.filter(user=learner).count() == 2

    # Finishing it again completes the course again, without awarding anything twice.
    result = lesson_complete(user=learner, lesson=finished.lessons.get(slug="bonus-lesson"))
    assert result.course_completed
    assert result.achievements_unlocked == ()
    assert UserAchievement.objects.filter(user=learner).count() == 2


def test_admin_removing_a_completed_lesson_never_counts_it(admin_client, learner, course, lessons):
    for lesson in lessons[:3]:
        lesson_complete(user=learner, lesson=lesson)
    url = reverse("admin:courses_course_change", args=[course.pk])

    admin_client.post(url, _admin_course_data(course, delete=0))

    progress = course_lessons_and_progress(user=learner, course=course)[1]
    assert (progress.completed_count, progress.total_lessons) == (2, 3)
    assert not progress.is_completed


def test_admin_removing_the_last_missing_lesson_completes_the_course(
    admin_client, learner, course, lessons, django_capture_on_commit_callbacks
):
    for lesson in lessons[:3]:
        lesson_complete(user=learner, lesson=lesson)
    url = reverse("admin:courses_course_change", args=[course.pk])

    with django_capture_on_commit_callbacks(execute=True):  # the worker's refresh
        admin_client.post(url, _admin_course_data(course, delete=3))

    progress = course_lessons_and_progress(user=learner, course=course)[1]
    assert (progress.completed_count, progress.total_lessons, progress.percentage) == (3, 3, 100)
    assert UserProgress.objects.get(user=learner, course=course).completed_at is not None


def test_service_level_added_then_removed_lesson(learner, finished):
    extra = LessonFactory(course=finished, position=50)
    course_completion_refresh(course=finished)
    row = UserProgress.objects.get(user=learner, course=finished)
    assert row.completed_at is None
    assert course_lessons_and_progress(user=learner, course=finished)[1].percentage == 80

    extra.delete()
    course_completion_refresh(course=finished)
    row.refresh_from_db()
    assert row.completed_at is not None
    progress = course_lessons_and_progress(user=learner, course=finished)[1]
    assert progress.percentage == 100  # never above
    assert UserAchievement.objects.filter(user=learner).count() == 2


def test_adding_then_removing_a_lesson_gives_back_the_real_completion_date(
    admin_client, learner, finished, django_capture_on_commit_callbacks
):
    """70,000 learners who finished "Welcome" lost the moment they finished it when a
    lesson was added then removed: the date must be that of their last completion."""
    row = UserProgress.objects.get(user=learner, course=finished)
    finished_at = row.completed_at
    assert finished_at == learner.lesson_completions.latest("completed_at").completed_at
    url = reverse("admin:courses_course_change", args=[finished.pk])

    with django_capture_on_commit_callbacks(execute=True):  # the worker's refresh
        admin_client.post(
            url,
            _admin_course_data(finished, add={"title": "Bonus", "slug": "bonus", "position": 999}),
        )
    assert UserProgress.objects.get(pk=row.pk).completed_at is None
    bonus = list(finished.lessons.order_by("position").values_list("slug", flat=True)).index(
        "bonus"
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, _admin_course_data(finished, delete=bonus))

    assert finished.lessons.count() == 4
    assert UserProgress.objects.get(pk=row.pk).completed_at == finished_at
