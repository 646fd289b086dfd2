"""UserProgress.last_activity_at, the newest completion standing in the course, kept by
every write that keeps lessons_done, and filled for existing rows by the migration."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courses.models import LessonCompletion, UserProgress
from courses.services import completions_delete, course_completion_refresh, lesson_uncomplete
from tests.achievements.helpers import complete_at
from tests.factories import CourseFactory, UserFactory

T = datetime(2026, 5, 4, 10, tzinfo=UTC)


def last_activity(user, course):
    return UserProgress.objects.get(user=user, course=course).last_activity_at


@pytest.fixture
def lessons(db):
    course = CourseFactory(lessons=3)
    return list(course.lessons.order_by("position").select_related("course"))


def test_a_completion_is_the_last_activity_and_a_repeated_click_is_not(lessons):
    learner = UserFactory()
    complete_at(user=learner, lesson=lessons[0], at=T)
    complete_at(user=learner, lesson=lessons[1], at=T + timedelta(days=2))
    complete_at(user=learner, lesson=lessons[0], at=T + timedelta(days=5))  # already done

    assert last_activity(learner, lessons[0].course) == T + timedelta(days=2)


def test_undoing_the_newest_completion_goes_back_to_the_one_before(lessons):
    learner = UserFactory()
    complete_at(user=learner, lesson=lessons[0], at=T)
    complete_at(user=learner, lesson=lessons[1], at=T + timedelta(days=2))

    lesson_uncomplete(user=learner, lesson=lessons[1])
    assert last_activity(learner, lessons[0].course) == T
    lesson_uncomplete(user=learner, lesson=lessons[0])
    assert last_activity(learner, lessons[0].course) is None


def test_other_courses_completions_are_not_this_courses_activity(lessons):
    learner = UserFactory()
    elsewhere = CourseFactory(lessons=1).lessons.select_related("course").get()
    complete_at(user=learner, lesson=lessons[0], at=T)
    complete_at(user=learner, lesson=elsewhere, at=T + timedelta(days=9))

    lesson_uncomplete(user=learner, lesson=elsewhere)
    assert last_activity(learner, lessons[0].course) == T
    assert last_activity(learner, elsewhere.course) is None


def test_an_admin_deleting_completions_or_removing_a_lesson_moves_it_back(lessons):
    learner = UserFactory()
    for n, lesson in enumerate(lessons):
        complete_at(user=learner, lesson=lesson, at=T + timedelta(days=n))
    course = lessons[0].course

    completions_delete(completions=LessonCompletion.objects.filter(lesson=lessons[2]))
    assert last_activity(learner, course) == T + timedelta(days=1)
    lessons[1].delete()
    course_completion_refresh(course=course)
    assert last_activity(learner, course) == T


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_it_from_the_completions():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate([("courses", "0005_instructors_insights_activity")])
    old = executor.loader.project_state([("courses", "0005_instructors_insights_activity")]).apps
    try:
        user = old.get_model("auth", "User").objects.create(username="old")
        course = old.get_model("courses", "Course").objects.create(title="Old", slug="old")
        other = old.get_model("courses", "Course").objects.create(title="Other", slug="other")
        lesson = old.get_model("courses", "Lesson")
        first, second = (
            lesson.objects.create(course=course, title=f"L{n}", slug=f"l{n}", position=n)
            for n in (1, 2)
        )
        elsewhere = lesson.objects.create(course=other, title="E", slug="e", position=1)
        completion = old.get_model("courses", "LessonCompletion")
        completion.objects.create(user=user, lesson=first, completed_at=T)
        completion.objects.create(user=user, lesson=second, completed_at=T + timedelta(days=3))
        completion.objects.create(user=user, lesson=elsewhere, completed_at=T + timedelta(days=9))
        progress = old.get_model("courses", "UserProgress")
        progress.objects.create(user=user, course=course, lessons_done=2)
        progress.objects.create(user=user, course=other, lessons_done=0)
        idle = old.get_model("auth", "User").objects.create(username="idle")
        progress.objects.create(user=idle, course=course, lessons_done=0)

        MigrationExecutor(connection).migrate(latest)

        assert UserProgress.objects.get(
            user__username="old", course__slug="old"
        ).last_activity_at == T + timedelta(days=3)
        assert UserProgress.objects.get(
            user__username="old", course__slug="other"
        ).last_activity_at == T + timedelta(days=9)
        assert UserProgress.objects.get(user__username="idle").last_activity_at is None
    finally:
        MigrationExecutor(connection).migrate(latest)
