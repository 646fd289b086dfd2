"""Read side of courses and progress. Every function runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    Expression,
    IntegerField,
    OuterRef,
    QuerySet,
)
from django.http import Http404
from django.shortcuts import get_object_or_404

from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.progress import (
    MILESTONES,
    is_course_complete,
    milestones_reached,
    next_incomplete,
    percent_complete,
)
from progress_site.compiled import Result, Statement, compiled, run_together


@dataclass(frozen=True)
class CourseProgress:
    """Where one learner stands in one course, computed from the lessons that exist now."""

    course: Course
    total_lessons: int
    completed_lesson_ids: frozenset[int]
    current_lesson: Lesson | None
    started_at: datetime | None
    completed_at: datetime | None

    @property
    def completed_count(self) -> int:
        return len(self.completed_lesson_ids)

    @property
    def percentage(self) -> int:
        return percent_complete(completed=self.completed_count, total=self.total_lessons)

    @property
    def is_completed(self) -> bool:
        return is_course_complete(completed=self.completed_count, total=self.total_lessons)

    @property
    def is_started(self) -> bool:
        return self.started_at is not None

    @property
    def milestones_reached(self) -> tuple[int, ...]:
        return milestones_reached(self.percentage)

    @property
    def milestones(self) -> list[tuple[int, bool]]:
        """Each milestone with whether it is reached, for the dots under the bar."""
        reached = self.milestones_reached
        return [(m, m in reached) for m in MILESTONES]


def published_courses() -> QuerySet[Course]:
    return Course.objects.filter(is_published=True)


def course_get_published(*, slug: str) -> Course:
    """The published course with this slug, or 404."""
    return get_object_or_404(published_courses(), slug=slug)


def _published_lesson_rows(
    *, course_slug: str | Expression, lesson_slug: str | Expression
) -> QuerySet[Lesson]:
    """The lesson by slug *within* the published course named in the URL.

    Looking the lesson up through its course is what stops a lesson of another course
    from being completed under this course's address. Both lesson lookups use this.
    """
    return Lesson.objects.filter(
        course__is_published=True, course__slug=course_slug, slug=lesson_slug
    )


def lesson_get_published(*, course_slug: str, lesson_slug: str) -> Lesson:
    """The lesson, with its body and course, for the lesson page; or 404."""
    return get_object_or_404(
        _published_lesson_rows(course_slug=course_slug, lesson_slug=lesson_slug).select_related(
            "course"
        )
    )


def course_lessons_and_progress(
    *, user: AbstractBaseUser, course: Course
) -> tuple[list[Lesson], CourseProgress]:
    """The course's lessons in order (without bodies) and the learner's progress in it:
    two statements compiled once, in one round trip."""
    (lessons, completed), row = run_together(
        course_lessons_statement(user=user, course=course),
        course_progress_row_statement(user=user, course=course),
    )
    progress = course_progress_build(
        course=course, lessons=lessons, completed=completed, progress=row
    )
    return lessons, progress


def course_progress_build(
    *,
    course: Course,
    lessons: list[Lesson],
    completed: frozenset[int],
    progress: UserProgress | None,
) -> CourseProgress:
    """Assemble a CourseProgress from rows already fetched; runs no query."""
    current = None
    if progress is not None and progress.current_lesson_id not in (None, *completed):
        current = next((les for les in lessons if les.id == progress.current_lesson_id), None)
    if current is None:
        current = next_incomplete(lessons, completed) or (lessons[0] if lessons else None)
    complete = is_course_complete(completed=len(completed), total=len(lessons))
    return CourseProgress(
        course=course,
        total_lessons=len(lessons),
        completed_lesson_ids=completed,
        current_lesson=current,
        started_at=progress.started_at if progress else None,
        # A date from before lessons were added is stale: only a complete course has one.
        completed_at=progress.completed_at if progress and complete else None,
    )


def course_progress_list(*, user: AbstractBaseUser) -> list[CourseProgress]:
    """Progress in every published course, for the dashboard: three queries in all.

    Lessons are counted, not loaded, so the page does not grow with course length;
    "Continue" uses the stored current lesson (kept up to date by the services).
    """
    courses = published_courses().annotate(lesson_count=Count("lessons"))
    completed_by_course: dict[int, set[int]] = {}
    for course_id, lesson_id in LessonCompletion.objects.filter(
        user=user, lesson__course__is_published=True
    ).values_list("lesson__course_id", "lesson_id"):
        completed_by_course.setdefault(course_id, set()).add(lesson_id)
    progress_by_course = {
        p.course_id: p
        for p in UserProgress.objects.filter(user=user, course__is_published=True).select_related(
            "current_lesson"
        )
    }
    result = []
    for course in courses:
        completed = frozenset(completed_by_course.get(course.id, ()))
        progress = progress_by_course.get(course.id)
        current = progress.current_lesson if progress else None
        complete = is_course_complete(completed=len(completed), total=course.lesson_count)
        result.append(
            CourseProgress(
                course=course,
                total_lessons=course.lesson_count,
                completed_lesson_ids=completed,
                current_lesson=None if current is None or current.id in completed else current,
                started_at=progress.started_at if progress else None,
                completed_at=progress.completed_at if progress and complete else None,
            )
        )
    return result


# What the lesson list and the completion need of each lesson: never the body. These two
# lists keep the models' field order, which Model.from_db expects.
LESSON_LIST_FIELDS = ("id", "course_id", "title", "slug", "position")
# What the lesson actions need of the course (the rest is loaded if ever read).
_ACTION_COURSE_FIELDS = ("id", "title", "slug", "is_published")


@compiled(course_slug=CharField(), lesson_slug=CharField())
def _published_lesson(*, course_slug: Expression, lesson_slug: Expression) -> QuerySet[Lesson]:
    return (
        _published_lesson_rows(course_slug=course_slug, lesson_slug=lesson_slug)
        .order_by()
        .values_list(*LESSON_LIST_FIELDS, "course__title", "course__slug")
    )


def lesson_get_published_for_action(*, course_slug: str, lesson_slug: str) -> Lesson:
    """`lesson_get_published` for "Complete lesson" and its undo: the same lesson or 404,
    without the lesson's body or the course's description, in a query compiled once."""
    rows = _published_lesson.rows(course_slug=course_slug, lesson_slug=lesson_slug)
    if not rows:
        raise Http404("No Lesson matches the given query.")
    *lesson_values, course_title, course_slug = rows[0]
    lesson = Lesson.from_db(connection.alias, LESSON_LIST_FIELDS, lesson_values)
    # Published, or the query would not have found it.
    course_values = (lesson.course_id, course_title, course_slug, True)
    lesson.course = Course.from_db(connection.alias, _ACTION_COURSE_FIELDS, course_values)
    return lesson


@compiled(course_id=BigIntegerField(), user_id=IntegerField())
def _lessons_with_done(*, course_id: Expression, user_id: Expression) -> QuerySet[Lesson]:
    done = LessonCompletion.objects.filter(user_id=user_id, lesson=OuterRef("pk"))
    return (
        Lesson.objects.filter(course_id=course_id)
        .order_by("position")
        .only(*LESSON_LIST_FIELDS)
        .annotate(done=Exists(done))
    )


def course_lessons_statement(
    *, user: AbstractBaseUser, course: Course
) -> Statement[tuple[list[Lesson], frozenset[int]]]:
    """The course's lessons in order, without bodies, and which of them the learner has
    completed: one statement compiled once (the completion runs it on every click)."""

    def lessons_and_completed(result: Result) -> tuple[list[Lesson], frozenset[int]]:
        lessons = _lessons_with_done.instances(result.rows)
        for lesson in lessons:
            # As course.lessons would: the course is reached without a query.
            Lesson.course.field.set_cached_value(lesson, course)
        return lessons, frozenset(lesson.id for lesson in lessons if lesson.done)

    return _lessons_with_done.statement(course_id=course.pk, user_id=user.pk).then(
        lessons_and_completed
    )


@compiled(user_id=IntegerField(), course_id=BigIntegerField())
def _progress_row(*, user_id: Expression, course_id: Expression) -> QuerySet[UserProgress]:
    return UserProgress.objects.filter(user_id=user_id, course_id=course_id).order_by()


def course_progress_row_statement(
    *, user: AbstractBaseUser, course: Course
) -> Statement[UserProgress | None]:
    """The learner's progress row in the course, if they started it (compiled once)."""

    def row(result: Result) -> UserProgress | None:
        rows = _progress_row.instances(result.rows)
        return rows[0] if rows else None

    return _progress_row.statement(user_id=user.pk, course_id=course.pk).then(row)
