"""Write side of progress: completing and un-completing lessons.

Every write runs in one transaction that first locks the learner's user row. That one
lock serialises all progress writes of a learner (two tabs, a double click, parallel
requests for different lessons or courses), so each write reads a state no one else is
changing; the unique constraints remain the last line of defence. Different learners
never wait for each other.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.services import learner_lock
from achievements.models import Achievement
from achievements.services import (
    achievements_award_for_completion,
    achievements_backfill_course_completed,
)
from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.page_cache import content_changed
from courses.progress import is_course_complete, milestones_crossed, next_incomplete
from courses.selectors import (
    CourseProgress,
    course_lessons_done,
    course_progress_build,
    course_progress_row,
)


@dataclass(frozen=True)
class CompletionResult:
    lesson: Lesson
    lessons: list[Lesson]
    changed: bool
    progress: CourseProgress
    next_lesson: Lesson | None
    milestones_crossed: tuple[int, ...]
    course_completed: bool
    achievements_unlocked: tuple[Achievement, ...]


@dataclass
class _Locked:
    """The learner's state in one course, read under their lock."""

    course: Course
    lessons: list[Lesson]
    completed: frozenset[int]
    row: UserProgress | None

    def progress(self) -> CourseProgress:
        return course_progress_build(
            course=self.course, lessons=self.lessons, completed=self.completed, progress=self.row
        )


def _lock_and_read(*, user: AbstractBaseUser, lesson: Lesson) -> _Locked:
    course = lesson.course
    if not course.is_published:
        raise PermissionDenied("This course is not published.")
    learner_lock(user=user)
    # Read after the lock is granted: what its last holder committed is visible.
    lessons = course_lessons_done(user=user, course=course)
    return _Locked(
        course=course,
        lessons=lessons,
        completed=frozenset(each.id for each in lessons if each.done),
        row=course_progress_row(user=user, course=course),
    )


@transaction.atomic
def lesson_complete(*, user: AbstractBaseUser, lesson: Lesson) -> CompletionResult:
    """Mark a lesson completed. Idempotent: completing it again changes nothing.

    Returns what changed so the page can announce it: milestones crossed, the course
    finished, achievements unlocked. Statements, whatever the sizes: the lock, the
    course's lessons with the learner's completions, the progress row, the completion,
    the progress row's insert or update, and the achievement check (one to three,
    `achievements_award_for_completion`): at most eight, five when nothing changed.
    """
    state = _lock_and_read(user=user, lesson=lesson)
    before = state.progress()
    changed = lesson.id not in state.completed
    now = timezone.now()
    if changed:
        LessonCompletion.objects.bulk_create(
            [LessonCompletion(user=user, lesson=lesson, completed_at=now)], ignore_conflicts=True
        )
        state.completed |= {lesson.id}
    next_lesson = next_incomplete(state.lessons, state.completed, after=lesson)
    # A repeated click keeps the learner's place; a new completion moves it on.
    current = next_lesson if changed else before.current_lesson
    _progress_save(user=user, state=state, current=current, now=now)
    after = state.progress()
    unlocked = []
    if changed or after.is_completed != before.is_completed:
        unlocked = achievements_award_for_completion(
            user=user,
            lesson=lesson,
            completed_at=now,
            course_lessons_done=after.completed_count,
            course_complete=after.is_completed,
        )
    return CompletionResult(
        lesson=lesson,
        lessons=state.lessons,
        changed=changed,
        progress=after,
        next_lesson=next_lesson,
        milestones_crossed=milestones_crossed(before=before.percentage, after=after.percentage),
        course_completed=after.is_completed and not before.is_completed,
        achievements_unlocked=tuple(unlocked),
    )


@transaction.atomic
def lesson_uncomplete(*, user: AbstractBaseUser, lesson: Lesson) -> CourseProgress:
    """Undo a completion. Idempotent. Achievements already unlocked are kept."""
    state = _lock_and_read(user=user, lesson=lesson)
    if lesson.id in state.completed:
        LessonCompletion.objects.filter(user=user, lesson=lesson).delete()
        state.completed -= {lesson.id}
        _progress_save(user=user, state=state, current=lesson, now=timezone.now())
    return state.progress()


def _progress_save(
    *, user: AbstractBaseUser, state: _Locked, current: Lesson | None, now: datetime
) -> None:
    """Bring the progress row in line with the lessons (one statement, or none if it is).

    completed_at follows the lessons on every path: `now` (the completion that finishes
    the course) when it becomes complete, kept while it stays complete, cleared when it
    no longer is. `state.row` is updated to match.
    """
    complete = is_course_complete(completed=len(state.completed), total=len(state.lessons))
    row = state.row
    if row is None:
        state.row = UserProgress.objects.create(
            user=user,
            course=state.course,
            current_lesson=current,
            completed_at=now if complete else None,
        )
        return
    completed_at = (row.completed_at or now) if complete else None
    if (row.current_lesson_id, row.completed_at) != (getattr(current, "id", None), completed_at):
        updated = UserProgress.objects.filter(pk=row.pk).update(
            current_lesson=current, completed_at=completed_at
        )
        if not updated:  # as save(update_fields=…) refuses: deleted since it was read
            raise DatabaseError("The learner's progress row no longer exists.")
        row.current_lesson, row.completed_at = current, completed_at


@transaction.atomic
def course_completion_refresh(*, course: Course) -> None:
    """Bring every learner's completed_at in line with the course's lessons now.

    Called after an admin adds or removes lessons: a course finished earlier is no
    longer complete once a lesson is added (achievements it earned stay), and one whose
    last missing lesson was removed becomes complete. Those learners have nothing left
    to click, so the course-completion achievements are backfilled for them (after
    commit, through the tasks framework). A fixed number of queries, any course size.
    """
    # Learners' completion states may change here: every learner's cached pages go.
    content_changed()
    lesson_count = course.lessons.count()
    progress = UserProgress.objects.filter(course=course)
    if lesson_count == 0:
        progress.exclude(completed_at=None).update(completed_at=None)
        return
    finished = (
        LessonCompletion.objects.filter(lesson__course=course)
        .values("user_id")
        .annotate(n=Count("id"))
        .filter(n__gte=lesson_count)
        .values("user_id")
    )
    progress.exclude(completed_at=None).exclude(user_id__in=finished).update(completed_at=None)
    if progress.filter(completed_at=None, user_id__in=finished).update(completed_at=timezone.now()):
        achievements_backfill_course_completed(course=course)
