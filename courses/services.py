"""Write side of progress: completing and un-completing lessons.

Every write runs in one transaction that first locks the learner's user row. That one
lock serialises all progress writes of a learner (two tabs, a double click, parallel
requests for different lessons or courses), so each write reads a state no one else is
changing; the unique constraints remain the last line of defence. Different learners
never wait for each other.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import BigIntegerField, Count, DateTimeField, Expression, IntegerField, Q
from django.utils import timezone

from achievements.models import Achievement, Rule
from achievements.selectors import achievements_reached_or_streak_statement
from achievements.services import (
    achievement_backfill_schedule,
    achievements_award_earned,
    learner_lock_statement,
)
from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.progress import is_course_complete, milestones_crossed, next_incomplete
from courses.selectors import (
    CourseProgress,
    course_lessons_statement,
    course_progress_build,
    course_progress_row_statement,
)
from progress_site.compiled import Insert, Result, Statement, Update, compiled, run_together
from progress_site.learner_cache import content_changed, learner_changed


# The writes of every completion, compiled once (progress_site/compiled.py).
@compiled(user_id=IntegerField(), lesson_id=BigIntegerField(), completed_at=DateTimeField())
def _completion_insert(*, user_id: Expression, lesson_id: Expression, completed_at: Expression):
    return Insert(LessonCompletion(user_id=user_id, lesson_id=lesson_id, completed_at=completed_at))


@compiled(
    user_id=IntegerField(),
    course_id=BigIntegerField(),
    current_lesson_id=BigIntegerField(),
    started_at=DateTimeField(),
    completed_at=DateTimeField(),
)
def _progress_insert(
    *,
    user_id: Expression,
    course_id: Expression,
    current_lesson_id: Expression,
    started_at: Expression,
    completed_at: Expression,
):
    return Insert(
        UserProgress(
            user_id=user_id,
            course_id=course_id,
            current_lesson_id=current_lesson_id,
            started_at=started_at,
            completed_at=completed_at,
        )
    )


@compiled(pk=BigIntegerField(), current_lesson_id=BigIntegerField(), completed_at=DateTimeField())
def _progress_update(*, pk: Expression, current_lesson_id: Expression, completed_at: Expression):
    return Update(
        UserProgress.objects.filter(pk=pk),
        current_lesson_id=current_lesson_id,
        completed_at=completed_at,
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
    # Unlocks to announce: this completion's, or earlier ones not shown yet.
    announcements_pending: bool


@dataclass
class _LockedState:
    course: Course
    lessons: list[Lesson]
    completed: frozenset[int]
    row: UserProgress | None
    announcements_pending: bool

    def progress(self) -> CourseProgress:
        return course_progress_build(
            course=self.course, lessons=self.lessons, completed=self.completed, progress=self.row
        )


def _lock(*, user: AbstractBaseUser, lesson: Lesson) -> _LockedState:
    """Lock the learner, then read their state in the lesson's course: three statements
    in one round trip, the reads run once the lock is granted (`run_together`)."""
    if not lesson.course.is_published:
        raise PermissionDenied("This course is not published.")
    course = lesson.course
    announcements_pending, (lessons, completed), row = run_together(
        learner_lock_statement(user=user),
        course_lessons_statement(user=user, course=course),
        course_progress_row_statement(user=user, course=course),
    )
    return _LockedState(
        course=course,
        lessons=lessons,
        completed=completed,
        row=row,
        announcements_pending=announcements_pending,
    )


@transaction.atomic
def lesson_complete(*, user: AbstractBaseUser, lesson: Lesson) -> CompletionResult:
    """Mark a lesson completed. Idempotent: completing it again changes nothing.

    Returns what changed so the page can announce it: milestones crossed, the course
    finished, achievements unlocked. Six statements when nothing is unlocked and no
    streak achievement is pending, at most nine, whatever the sizes; on PostgreSQL the
    six travel in two round trips (the lock and the reads; the writes and the
    achievement check).
    """
    state = _lock(user=user, lesson=lesson)
    before = state.progress()
    changed = lesson.id not in state.completed
    writes: list[Statement] = []
    completed_at = None
    if changed:
        completed_at = timezone.now()
        writes.append(
            _completion_insert.statement(
                user_id=user.pk, lesson_id=lesson.pk, completed_at=completed_at
            )
        )
        state.completed = state.completed | {lesson.id}
    next_lesson = next_incomplete(state.lessons, state.completed, after=lesson)
    # A repeated click keeps the learner's place; a new completion moves it on.
    current = next_lesson if changed else before.current_lesson
    progress_write, completion_changed = _progress_write(user=user, state=state, current=current)
    if progress_write is not None:
        writes.append(progress_write)
    judge = changed or completion_changed
    if judge:
        # Last, so that it sees the writes before it.
        writes.append(achievements_reached_or_streak_statement(user=user))
    answers = run_together(*writes) if writes else []
    if judge:
        learner_changed(user_ids=[user.pk])
    unlocked = (
        achievements_award_earned(
            user=user, lesson=lesson, completed_at=completed_at, reached=answers[-1]
        )
        if judge
        else []
    )
    after = state.progress()
    return CompletionResult(
        lesson=lesson,
        lessons=state.lessons,
        changed=changed,
        progress=after,
        next_lesson=next_lesson,
        milestones_crossed=milestones_crossed(before=before.percentage, after=after.percentage),
        course_completed=after.is_completed and not before.is_completed,
        achievements_unlocked=tuple(unlocked),
        announcements_pending=state.announcements_pending or bool(unlocked),
    )


@transaction.atomic
def lesson_uncomplete(*, user: AbstractBaseUser, lesson: Lesson) -> CourseProgress:
    """Undo a completion. Idempotent. Achievements already unlocked are kept."""
    state = _lock(user=user, lesson=lesson)
    if lesson.id in state.completed:
        LessonCompletion.objects.filter(user=user, lesson=lesson).delete()
        state.completed = state.completed - {lesson.id}
        progress_write, _ = _progress_write(user=user, state=state, current=lesson)
        if progress_write is not None:
            progress_write.run()
        learner_changed(user_ids=[user.pk])
    return state.progress()


def _progress_write(
    *, user: AbstractBaseUser, state: _LockedState, current: Lesson | None
) -> tuple[Statement | None, bool]:
    """The write that brings the progress row in line with the lessons (None if it is),
    and whether the course's completion state changes. completed_at follows the
    lessons on every path. `state.row` is updated to match.
    """
    complete = is_course_complete(completed=len(state.completed), total=len(state.lessons))
    now = timezone.now()
    current_id = current.id if current else None
    row = state.row
    if row is None:
        # Not read back: nothing later in this transaction needs the new row's id.
        state.row = UserProgress(
            user_id=user.pk,
            course=state.course,
            current_lesson=current,
            started_at=now,
            completed_at=now if complete else None,
        )
        insert = _progress_insert.statement(
            user_id=user.pk,
            course_id=state.course.pk,
            current_lesson_id=current_id,
            started_at=now,
            completed_at=state.row.completed_at,
        )
        return insert, complete
    was_complete = row.completed_at is not None
    completed_at = (row.completed_at or now) if complete else None
    if (row.current_lesson_id, row.completed_at) == (current_id, completed_at):
        return None, was_complete != complete
    row.current_lesson = current
    row.completed_at = completed_at
    update = _progress_update.statement(
        pk=row.pk, current_lesson_id=current_id, completed_at=completed_at
    ).then(_one_row_updated)
    return update, was_complete != complete


def _one_row_updated(result: Result) -> None:
    if result.rowcount != 1:  # as save(update_fields=…) refused: the row was deleted meanwhile
        raise DatabaseError("The learner's progress row no longer exists.")


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
        for achievement in Achievement.objects.filter(
            Q(rule=Rule.COURSES_COMPLETED) | Q(rule=Rule.COURSE_COMPLETED, course=course),
            is_active=True,
        ):
            achievement_backfill_schedule(achievement=achievement)
