"""Completing and undoing lessons: what a learner sees change, and what must not."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from achievements.models import Rule, UserAchievement
from courses.models import LessonCompletion, UserProgress
from courses.selectors import course_lessons_and_progress
from courses.services import course_completion_refresh, lesson_complete, lesson_uncomplete
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_first_completion_starts_the_course(learner, course, lessons):
    result = lesson_complete(user=learner, lesson=lessons[0])

    assert result.changed
    progress = UserProgress.objects.get(user=learner, course=course)
    assert progress.current_lesson == lessons[1]
    assert progress.completed_at is None
    assert result.progress.completed_count == 1
    assert result.progress.percentage == 25
    assert result.milestones_crossed == (25,)
    assert result.next_lesson.id == lessons[1].id
    assert not result.course_completed


def test_completing_twice_changes_nothing(learner, lessons):
    lesson_complete(user=learner, lesson=lessons[0])
    again = lesson_complete(user=learner, lesson=lessons[0])

    assert not again.changed
    assert again.milestones_crossed == ()
    assert again.achievements_unlocked == ()
    assert LessonCompletion.objects.filter(user=learner).count() == 1
    assert UserProgress.objects.filter(user=learner).count() == 1


def test_a_repeated_click_on_a_finished_course_changes_nothing_stored(learner, course, lessons):
    """Found by the invariants test: a stale tab's click on the last lesson stored the
    lesson "Review" points at as the next one, which a recount then cleared again."""
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)
    finished = UserProgress.objects.get(user=learner, course=course)

    lesson_complete(user=learner, lesson=lessons[-1])

    again = UserProgress.objects.get(user=learner, course=course)
    assert again.current_lesson_id is None
    assert (again.completed_at, again.lessons_done) == (finished.completed_at, len(lessons))


def test_last_lesson_completes_the_course_in_any_order(learner, course, lessons):
    for lesson in reversed(lessons):
        result = lesson_complete(user=learner, lesson=lesson)

    assert result.course_completed
    assert result.progress.is_completed
    assert result.progress.percentage == 100
    assert result.next_lesson is None
    assert result.milestones_crossed == (100,)
    progress = UserProgress.objects.get(user=learner, course=course)
    assert progress.completed_at is not None
    assert progress.current_lesson is None


def test_single_lesson_course(learner):
    course = CourseFactory(lessons=1)
    result = lesson_complete(user=learner, lesson=course.lessons.get())

    assert result.course_completed
    assert result.milestones_crossed == (25, 50, 75, 100)


def test_current_lesson_skips_completed_lessons(learner, lessons):
    lesson_complete(user=learner, lesson=lessons[1])
    lesson_complete(user=learner, lesson=lessons[0])  # next after 1 is 3, since 2 is done

    assert UserProgress.objects.get(user=learner).current_lesson == lessons[2]


def test_unpublished_course_cannot_be_completed(learner):
    course = CourseFactory(is_published=False, lessons=2)
    with pytest.raises(PermissionDenied):
        lesson_complete(user=learner, lesson=course.lessons.first())
    assert not LessonCompletion.objects.exists()
    assert not UserProgress.objects.exists()


def test_progress_is_per_learner(learner, lessons):
    other = UserFactory()
    lesson_complete(user=learner, lesson=lessons[0])

    assert course_lessons_and_progress(user=other, course=lessons[0].course)[1].completed_count == 0


def test_undo_recomputes_progress_and_keeps_achievements(learner, course, lessons):
    AchievementFactory(name="First steps", rule=Rule.LESSONS_COMPLETED, threshold=1)
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)

    progress = lesson_uncomplete(user=learner, lesson=lessons[2])

    assert progress.completed_count == 3
    assert progress.percentage == 75
    assert not progress.is_completed
    row = UserProgress.objects.get(user=learner, course=course)
    assert row.completed_at is None
    assert row.current_lesson == lessons[2]
    assert UserAchievement.objects.filter(user=learner).count() == 1
    # Idempotent: undoing again is not an error and changes nothing.
    assert lesson_uncomplete(user=learner, lesson=lessons[2]).completed_count == 3


def test_recompleting_after_undo_sets_completed_at_again(learner, course, lessons):
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)
    lesson_uncomplete(user=learner, lesson=lessons[0])
    result = lesson_complete(user=learner, lesson=lessons[0])

    assert result.course_completed
    assert UserProgress.objects.get(user=learner, course=course).completed_at is not None


def test_completion_unlocks_achievements_once(learner, lessons):
    first = AchievementFactory(name="First steps", rule=Rule.LESSONS_COMPLETED, threshold=1)
    two = AchievementFactory(name="Two down", rule=Rule.LESSONS_COMPLETED, threshold=2)
    finisher = AchievementFactory(name="Finisher", rule=Rule.COURSES_COMPLETED, threshold=1)
    inactive = AchievementFactory(is_active=False, rule=Rule.LESSONS_COMPLETED, threshold=1)

    assert lesson_complete(user=learner, lesson=lessons[0]).achievements_unlocked == (first,)
    assert lesson_complete(user=learner, lesson=lessons[1]).achievements_unlocked == (two,)
    assert lesson_complete(user=learner, lesson=lessons[2]).achievements_unlocked == ()
    assert lesson_complete(user=learner, lesson=lessons[3]).achievements_unlocked == (finisher,)
    assert not UserAchievement.objects.filter(achievement=inactive).exists()
    assert UserAchievement.objects.filter(user=learner).count() == 3


def test_course_rules_count_only_their_course(learner, course, lessons):
    other_course = CourseFactory(lessons=2)
    in_course = AchievementFactory(rule=Rule.COURSE_LESSONS_COMPLETED, threshold=2, course=course)
    finished = AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=course)
    for lesson in other_course.lessons.all():
        lesson_complete(user=learner, lesson=lesson)
    assert not UserAchievement.objects.filter(user=learner).exists()

    lesson_complete(user=learner, lesson=lessons[0])
    assert lesson_complete(user=learner, lesson=lessons[1]).achievements_unlocked == (in_course,)
    lesson_complete(user=learner, lesson=lessons[2])
    assert lesson_complete(user=learner, lesson=lessons[3]).achievements_unlocked == (finished,)


def test_a_new_lesson_reopens_a_finished_course(learner, course, lessons):
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)
    new = LessonFactory(course=course, position=99)
    course_completion_refresh(course=course)

    progress = course_lessons_and_progress(user=learner, course=course)[1]
    assert not progress.is_completed
    assert progress.percentage == 80
    assert progress.current_lesson.id == new.id
    assert UserProgress.objects.get(user=learner, course=course).completed_at is None


def test_removing_the_missing_lesson_completes_the_course(learner, course, lessons):
    for lesson in lessons[:3]:
        lesson_complete(user=learner, lesson=lesson)
    lessons[3].delete()
    course_completion_refresh(course=course)

    progress = course_lessons_and_progress(user=learner, course=course)[1]
    assert progress.is_completed
    assert progress.percentage == 100
    assert progress.completed_at is not None


def test_removing_the_finishing_lesson_dates_the_course_at_the_newest_one_left(
    learner, course, lessons
):
    """Found by the invariants test: the course stayed dated at a completion that no
    longer exists."""
    for lesson in lessons:
        lesson_complete(user=learner, lesson=lesson)
    start = timezone.now() - timedelta(days=10)
    for i, lesson in enumerate(lessons):
        LessonCompletion.objects.filter(user=learner, lesson=lesson).update(
            completed_at=start + timedelta(days=i)
        )
    UserProgress.objects.filter(user=learner).update(completed_at=start + timedelta(days=3))

    lessons[3].delete()
    course_completion_refresh(course=course)

    progress = UserProgress.objects.get(user=learner)
    assert progress.completed_at == start + timedelta(days=2)
    assert (progress.lessons_done, progress.current_lesson_id) == (3, None)


def test_removing_the_missing_lesson_awards_course_achievements(
    learner, course, lessons, django_capture_on_commit_callbacks
):
    finished = AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=course)
    for lesson in lessons[:3]:
        lesson_complete(user=learner, lesson=lesson)
    lessons[3].delete()

    with django_capture_on_commit_callbacks(execute=True):
        course_completion_refresh(course=course)

    # Nothing is left for the learner to click: the refresh itself must award it.
    assert UserAchievement.objects.filter(user=learner, achievement=finished).exists()


def test_a_removed_completed_lesson_is_not_counted(learner, course, lessons):
    lesson_complete(user=learner, lesson=lessons[0])
    lessons[0].delete()

    progress = course_lessons_and_progress(user=learner, course=course)[1]
    assert progress.completed_count == 0
    assert progress.total_lessons == 3
    assert progress.percentage == 0
