"""Parallel clicks on PostgreSQL: real threads, real transactions, nothing lost or doubled."""

import threading

import pytest
from django.db import DatabaseError, transaction

from achievements.models import Rule, UserAchievement
from courses.models import Lesson, LessonCompletion, UserProgress
from courses.services import lesson_complete, lesson_uncomplete
from tests.factories import AchievementFactory, CourseFactory, UserFactory
from tests.parallel import in_parallel, wait_until_a_lock_is_awaited

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def fresh(lesson_id: int) -> Lesson:
    return Lesson.objects.select_related("course").get(pk=lesson_id)


def test_parallel_completions_of_different_lessons_lose_nothing():
    learner = UserFactory()
    course = CourseFactory(lessons=8)
    lesson_ids = list(course.lessons.values_list("id", flat=True))
    finisher = AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=1)

    results = in_parallel(
        *[lambda pk=pk: lesson_complete(user=learner, lesson=fresh(pk)) for pk in lesson_ids]
    )

    assert LessonCompletion.objects.filter(user=learner).count() == 8
    progress = UserProgress.objects.get(user=learner, course=course)
    assert progress.completed_at is not None
    assert progress.current_lesson is None
    # Exactly one of the requests saw the course finish and announced it.
    assert sum(r.course_completed for r in results) == 1
    assert [a for r in results for a in r.achievements_unlocked] == [finisher]
    assert UserAchievement.objects.filter(user=learner).count() == 1


def test_parallel_clicks_on_the_same_lesson_count_once():
    learner = UserFactory()
    course = CourseFactory(lessons=3)
    lesson_id = course.lessons.first().id
    AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)

    results = in_parallel(
        *[lambda: lesson_complete(user=learner, lesson=fresh(lesson_id)) for _ in range(6)]
    )

    assert sum(r.changed for r in results) == 1
    assert sum(len(r.achievements_unlocked) for r in results) == 1
    assert LessonCompletion.objects.filter(user=learner).count() == 1
    assert UserProgress.objects.filter(user=learner).count() == 1
    assert UserAchievement.objects.filter(user=learner).count() == 1


def test_parallel_completions_across_courses_award_a_threshold_once():
    learner = UserFactory()
    lesson_ids = [CourseFactory(lessons=1).lessons.get().id for _ in range(4)]
    AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=3)

    results = in_parallel(
        *[lambda pk=pk: lesson_complete(user=learner, lesson=fresh(pk)) for pk in lesson_ids]
    )

    assert sum(len(r.achievements_unlocked) for r in results) == 1
    assert UserAchievement.objects.filter(user=learner).count() == 1
    assert UserProgress.objects.filter(user=learner, completed_at__isnull=False).count() == 4


def test_complete_and_undo_racing_leave_a_consistent_state():
    learner = UserFactory()
    course = CourseFactory(lessons=2)
    first, second = course.lessons.order_by("position").values_list("id", flat=True)
    lesson_complete(user=learner, lesson=fresh(first))

    in_parallel(
        *[
            lambda: lesson_complete(user=learner, lesson=fresh(second)),
            lambda: lesson_uncomplete(user=learner, lesson=fresh(first)),
        ]
    )

    assert set(
        LessonCompletion.objects.filter(user=learner).values_list("lesson_id", flat=True)
    ) == {second}
    assert UserProgress.objects.get(user=learner).completed_at is None


def test_many_learners_in_parallel_do_not_block_each_other():
    course = CourseFactory(lessons=2)
    lesson_id = course.lessons.first().id
    learners = UserFactory.create_batch(8)

    in_parallel(*[lambda u=u: lesson_complete(user=u, lesson=fresh(lesson_id)) for u in learners])

    assert LessonCompletion.objects.filter(lesson_id=lesson_id).count() == 8


def test_a_progress_row_deleted_during_a_completion_stores_nothing():
    """An admin deletes the learner's progress row after the completion has read it: the
    completion refuses (as save() would) instead of moving a place that no longer
    exists, and its own completion is rolled back with it."""
    learner = UserFactory()
    course = CourseFactory(lessons=3)
    first, second, _ = course.lessons.order_by("position").values_list("id", flat=True)
    lesson_complete(user=learner, lesson=fresh(first))
    row = UserProgress.objects.get(user=learner, course=course)
    holding = threading.Event()

    def admin_delete() -> None:
        with transaction.atomic():
            UserProgress.objects.select_for_update().get(pk=row.pk)  # the completion waits
            holding.set()
            wait_until_a_lock_is_awaited()
            UserProgress.objects.filter(pk=row.pk).delete()

    def complete() -> DatabaseError | None:
        assert holding.wait(timeout=10)
        try:
            lesson_complete(user=learner, lesson=fresh(second))
        except DatabaseError as refused:
            return refused
        return None

    _, refused = in_parallel(admin_delete, complete)

    assert isinstance(refused, DatabaseError)
    assert list(
        LessonCompletion.objects.filter(user=learner).values_list("lesson_id", flat=True)
    ) == [first]
    assert not UserProgress.objects.filter(user=learner).exists()
