"""The summary insights read (lessons_done, completed_at, last_activity_at) stays exact
under the parallel completions and undos the app allows: real threads on PostgreSQL."""

import pytest
from django.db.models import Max

from courses.models import Lesson, LessonCompletion, UserProgress
from courses.services import lesson_complete, lesson_uncomplete
from insights.selectors import funnel
from tests.factories import CourseFactory, UserFactory
from tests.parallel import in_parallel

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def fresh(lesson_id: int) -> Lesson:
    return Lesson.objects.select_related("course").get(pk=lesson_id)


def test_parallel_completions_and_undos_keep_every_number_exact():
    course = CourseFactory(lessons=4)
    ids = list(course.lessons.order_by("position").values_list("id", flat=True))
    learners = UserFactory.create_batch(3)
    for learner in learners:
        lesson_complete(user=learner, lesson=fresh(ids[0]))
    calls = []
    for learner in learners:
        # Each learner: three tabs completing the rest, one undoing the first.
        calls += [
            lambda u=learner, pk=pk: lesson_complete(user=u, lesson=fresh(pk)) for pk in ids[1:]
        ]
        calls.append(lambda u=learner: lesson_uncomplete(user=u, lesson=fresh(ids[0])))

    in_parallel(*calls)

    for learner in learners:
        row = UserProgress.objects.get(user=learner, course=course)
        theirs = LessonCompletion.objects.filter(user=learner, lesson__course=course)
        assert row.lessons_done == theirs.count() == 3
        assert row.last_activity_at == theirs.aggregate(m=Max("completed_at"))["m"]
        assert row.completed_at is None
    steps = funnel(course=course, total=4).steps
    assert [s.learners for s in steps] == [3, 3, 3, 3, 0]


def test_a_completion_racing_an_undo_of_another_lesson_leaves_the_newest_standing():
    course = CourseFactory(lessons=3)
    first, second, third = course.lessons.order_by("position").values_list("id", flat=True)
    learner = UserFactory()
    lesson_complete(user=learner, lesson=fresh(first))
    lesson_complete(user=learner, lesson=fresh(second))

    for _ in range(5):
        in_parallel(
            lambda: lesson_uncomplete(user=learner, lesson=fresh(second)),
            lambda: lesson_complete(user=learner, lesson=fresh(third)),
            lambda: lesson_complete(user=learner, lesson=fresh(second)),
            lambda: lesson_uncomplete(user=learner, lesson=fresh(third)),
        )
        row = UserProgress.objects.get(user=learner, course=course)
        theirs = LessonCompletion.objects.filter(user=learner, lesson__course=course)
        assert row.lessons_done == theirs.count()
        assert row.last_activity_at == theirs.aggregate(m=Max("completed_at"))["m"]
        assert (row.completed_at is not None) == (theirs.count() == 3)
