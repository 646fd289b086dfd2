"""Write side of progress: completing and un-completing lessons, and keeping progress
rows in line when lessons or completions are deleted.

Every write of a learner's progress runs in one transaction that first takes their lock
(`accounts.services.learner_lock`). That one lock serialises all of a learner's writes
(two tabs, a double click, parallel requests for different lessons or courses), so each
write reads a state no one else is changing; the unique constraints remain the last
line of defence. Different learners never wait for each other.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.services import learner_lock, learners_lock
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
    LessonRow,
    course_lessons_done,
    course_progress_build,
    learner_progress_rows,
)
from courses.signals import course_completed


@dataclass(frozen=True)
class CompletionResult:
    lesson: Lesson
    lessons: list[LessonRow]
    changed: bool
    progress: CourseProgress
    next_lesson: LessonRow | None
    milestones_crossed: tuple[int, ...]
    course_completed: bool
    achievements_unlocked: tuple[Achievement, ...]


@dataclass
class _Locked:
    """The learner's state in one course, read under their lock, and their other rows."""

    course: Course
    lessons: list[LessonRow]
    completed: frozenset[int]
    rows: list[UserProgress]  # every course the learner started

    @property
    def row(self) -> UserProgress | None:
        return next((r for r in self.rows if r.course_id == self.course.pk), None)

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
        rows=learner_progress_rows(user=user),
    )


@transaction.atomic
def lesson_complete(
    *, user: AbstractBaseUser, lesson: Lesson, announced: bool = False
) -> CompletionResult:
    """Mark a lesson completed. Idempotent: completing it again changes nothing.

    Returns what changed so the page can announce it: milestones crossed, the course
    finished, achievements unlocked. `announced`: the caller shows the unlocks in its
    own response (the htmx fragment), so they are stored as announced, in this
    transaction, and no other page shows them again; otherwise (post/redirect/get) the
    next page claims them (`announcements_claim`). Statements, whatever the sizes: the lock, the
    course's lessons with the learner's completions, the learner's progress rows, the
    completion, the progress row's insert or update, and the achievement check (one to
    three, `achievements_award_for_completion`): at most eight, three when nothing
    changed.
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
    # The newest completion is the one just made; a repeated click changes nothing.
    last_activity = now if changed or state.row is None else state.row.last_activity_at
    _progress_save(user=user, state=state, current=current, now=now, last_activity=last_activity)
    after = state.progress()
    finished = after.is_completed and not before.is_completed
    if finished:
        _course_completed_on_commit(course=state.course, user_ids=[user.pk])
    unlocked = []
    if changed or after.is_completed != before.is_completed:
        unlocked = achievements_award_for_completion(
            user=user,
            lesson=lesson,
            completed_at=now,
            progress_rows=state.rows,
            announced=announced,
        )
    return CompletionResult(
        lesson=lesson,
        lessons=state.lessons,
        changed=changed,
        progress=after,
        next_lesson=next_lesson,
        milestones_crossed=milestones_crossed(before=before.percentage, after=after.percentage),
        course_completed=finished,
        achievements_unlocked=tuple(unlocked),
    )


@transaction.atomic
def lesson_uncomplete(*, user: AbstractBaseUser, lesson: Lesson) -> CourseProgress:
    """Undo a completion. Idempotent. Achievements already unlocked are kept. One
    statement more than a completion when something is undone: the newest completion
    left in the course (the learner's last activity there), read after the delete."""
    state = _lock_and_read(user=user, lesson=lesson)
    if lesson.id in state.completed:
        LessonCompletion.objects.filter(user=user, lesson=lesson).delete()
        state.completed -= {lesson.id}
        last_activity = LessonCompletion.objects.filter(
            user=user, lesson__course=state.course
        ).aggregate(last=Max("completed_at"))["last"]
        _progress_save(
            user=user,
            state=state,
            current=lesson,
            now=timezone.now(),
            last_activity=last_activity,
        )
    return state.progress()


def _progress_save(
    *,
    user: AbstractBaseUser,
    state: _Locked,
    current: Lesson | LessonRow | None,
    now: datetime,
    last_activity: datetime | None,
) -> None:
    """Bring the progress row in line with the lessons (one statement, or none if it is).

    completed_at follows the lessons on every path: `now` (the completion that finishes
    the course) when it becomes complete, kept while it stays complete, cleared when it
    no longer is; last_activity_at is the caller's (the newest completion left). The
    row in `state.rows` is updated to match.
    """
    done = len(state.completed)
    complete = is_course_complete(completed=done, total=len(state.lessons))
    # Nothing left to continue with (a repeated click on a finished course kept the
    # first lesson here).
    current = None if complete else current
    row = state.row
    if row is None:
        state.rows.append(
            UserProgress.objects.create(
                user=user,
                course=state.course,
                current_lesson_id=getattr(current, "id", None),
                completed_at=now if complete else None,
                lessons_done=done,
                last_activity_at=last_activity,
            )
        )
        return
    values = {
        "current_lesson_id": getattr(current, "id", None),
        "completed_at": (row.completed_at or now) if complete else None,
        "lessons_done": done,
        "last_activity_at": last_activity,
    }
    if any(getattr(row, field) != value for field, value in values.items()):
        if not UserProgress.objects.filter(pk=row.pk).update(**values):
            # As save(update_fields=…) refuses: the row was deleted since it was read.
            raise DatabaseError("The learner's progress row no longer exists.")
        for field, value in values.items():
            setattr(row, field, value)


def progress_recompute(
    *, course: Course, user_ids: Iterable[int] | None = None, recount: bool = True
) -> bool:
    """Bring the course's progress rows (of these learners, or all) in line with the
    completions and lessons that exist now; returns whether any became complete.
    `recount=False` when only lessons were added: no completion went, so every count
    and last activity still holds (the longest step, for a course 70,000 learners finished).

    For what the completion service does not see: lessons added or removed, completions
    deleted by an admin. Counts are recounted; a course no longer complete loses its
    date; one complete again gets back the moment its last remaining lesson was
    completed (not the moment of this recount: that would erase when learners really
    finished); "Continue" stays where it was if that lesson is still to do, else goes
    to the first lesson left. Five statements (six with a recount), whatever the number
    of rows.
    """
    rows = UserProgress.objects.filter(course=course)
    if user_ids is not None:
        rows = rows.filter(user_id__in=list(user_ids))
    theirs = LessonCompletion.objects.filter(user_id=OuterRef("user_id"), lesson__course=course)

    def last() -> Subquery:  # a new expression per statement: one is not shared by two
        return Subquery(theirs.order_by("-completed_at").values("completed_at")[:1])

    if recount:
        rows.update(
            lessons_done=Coalesce(
                Subquery(theirs.order_by().values("user_id").annotate(n=Count("pk")).values("n")),
                0,
            ),
            last_activity_at=last(),
        )
    total = course.lessons.count()
    rows.exclude(completed_at=None).filter(Q(lessons_done__lt=total) | Q(lessons_done=0)).update(
        completed_at=None
    )
    complete = rows.filter(lessons_done__gte=max(total, 1))
    completed = complete.filter(completed_at=None).update(completed_at=last(), current_lesson=None)
    if recount:
        # Still complete, but the completion that finished it may be gone (its lesson was
        # removed, or an admin deleted it): finished when its newest remaining one was.
        complete.exclude(completed_at=None).update(completed_at=last(), current_lesson=None)
    first_left = Subquery(
        course.lessons.exclude(
            Exists(
                LessonCompletion.objects.filter(
                    user_id=OuterRef(OuterRef("user_id")), lesson=OuterRef("pk")
                )
            )
        )
        .order_by("position")
        .values("pk")[:1]
    )
    rows.filter(completed_at=None, current_lesson=None).update(current_lesson=first_left)
    if completed:
        _course_completed_on_commit(course=course, user_ids=None)
    return bool(completed)


def _course_completed_on_commit(*, course: Course, user_ids: list[int] | None) -> None:
    """`course_completed` once this transaction commits (no statement inside it); robust:
    what a listener fails to do never fails the committed completion."""
    send = partial(course_completed.send, sender=Course, course=course, user_ids=user_ids)
    transaction.on_commit(send, robust=True)


@transaction.atomic
def completions_delete(*, completions: QuerySet[LessonCompletion]) -> int:
    """Delete completions (an admin's correction) under their learners' locks, and bring
    those learners' progress in line; returns how many were deleted. Awards stay, as
    they do when a learner undoes a lesson."""
    pairs = set(completions.values_list("user_id", "lesson__course_id"))
    learners_lock(user_ids={user_id for user_id, _ in pairs})
    deleted, _ = completions.delete()
    for course in Course.objects.filter(pk__in={course_id for _, course_id in pairs}):
        progress_recompute(course=course, user_ids=[u for u, c in pairs if c == course.pk])
    return deleted


@transaction.atomic
def course_completion_refresh(*, course: Course, lessons_removed: bool = True) -> None:
    """Bring every learner's progress in the course in line with its lessons now.

    Called after an admin adds or removes lessons: a course finished earlier is no
    longer complete once a lesson is added (achievements it earned stay), and one whose
    last missing lesson was removed becomes complete. Those learners have nothing left
    to click, so the course-completion achievements are backfilled for them.
    """
    # Learners' completion states may change here: every learner's cached pages go.
    content_changed()
    if progress_recompute(course=course, recount=lessons_removed):
        achievements_backfill_course_completed(course=course)
