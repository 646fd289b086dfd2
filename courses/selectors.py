"""Read side of courses and progress. Every function runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.progress import (
    MILESTONES,
    is_course_complete,
    milestones_reached,
    next_incomplete,
    percent_complete,
)

# What the lesson list and a completion need of each lesson: never its body.
LESSON_LIST_FIELDS = ("id", "title", "slug", "position")
# A lesson as the lesson list and the completion read it (`course_lessons_done`): a named
# row with those fields and `done`; a Lesson where one lesson is read alone.
type LessonRow = Any


@dataclass(frozen=True)
class CourseProgress:
    """Where one learner stands in one course, computed from the lessons that exist now."""

    course: Course
    total_lessons: int
    completed_count: int
    current_lesson: Lesson | LessonRow | None
    started_at: datetime | None
    completed_at: datetime | None
    # Which lessons: known where the course's lessons were read (not on the dashboard).
    completed_lesson_ids: frozenset[int] = frozenset()

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


def lesson_get_published(*, course_slug: str, lesson_slug: str) -> Lesson:
    """The lesson by slug *within* the published course named in the URL, or 404.

    Looking the lesson up through its course is what stops a lesson of another course
    from being read or completed under this course's address.
    """
    lessons = Lesson.objects.filter(course__is_published=True, course__slug=course_slug)
    return get_object_or_404(lessons.select_related("course"), slug=lesson_slug)


def course_lessons_done(*, user: AbstractBaseUser, course: Course) -> list[LessonRow]:
    """The course's lessons in order, as rows (id, title, slug, position, done: whether
    the learner completed it). One query; rows, not model instances, because building
    forty instances cost more than the query (a lesson list never needs a body or a
    method, only these fields)."""
    done = LessonCompletion.objects.filter(user=user, lesson=OuterRef("pk"))
    return list(
        course.lessons.order_by("position")
        .annotate(done=Exists(done))
        .values_list(*LESSON_LIST_FIELDS, "done", named=True)
    )


def course_progress_row(*, user: AbstractBaseUser, course: Course) -> UserProgress | None:
    """The learner's progress row in the course, if they started it."""
    return UserProgress.objects.filter(user=user, course=course).first()


def learner_progress_rows(*, user: AbstractBaseUser) -> list[UserProgress]:
    """Every progress row of the learner (one per course started: few), one query."""
    return list(UserProgress.objects.filter(user=user).order_by())


def course_lessons_and_progress(
    *, user: AbstractBaseUser, course: Course
) -> tuple[list[LessonRow], CourseProgress]:
    """The course's lessons in order (without bodies) and the learner's progress: two queries."""
    lessons = course_lessons_done(user=user, course=course)
    progress = course_progress_build(
        course=course,
        lessons=lessons,
        completed=frozenset(lesson.id for lesson in lessons if lesson.done),
        progress=course_progress_row(user=user, course=course),
    )
    return lessons, progress


def course_progress_build(
    *,
    course: Course,
    lessons: list[LessonRow],
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
        completed_count=len(completed),
        completed_lesson_ids=completed,
        current_lesson=current,
        started_at=progress.started_at if progress else None,
        # A date from before lessons were added is stale: only a complete course has one.
        completed_at=progress.completed_at if progress and complete else None,
    )


def _card(course: Course, lesson_count: int, progress: UserProgress | None) -> CourseProgress:
    """A course card's progress, from its lesson count and the learner's row (counts,
    not lessons: a card does not grow with its course). "Continue" uses the stored
    current lesson, kept up to date by the services."""
    done = min(progress.lessons_done, lesson_count) if progress else 0
    complete = is_course_complete(completed=done, total=lesson_count)
    return CourseProgress(
        course=course,
        total_lessons=lesson_count,
        completed_count=done,
        current_lesson=None if complete or progress is None else progress.current_lesson,
        started_at=progress.started_at if progress else None,
        completed_at=progress.completed_at if progress and complete else None,
    )


def learner_courses(*, user: AbstractBaseUser) -> list[CourseProgress]:
    """The published courses the learner started, in catalogue order: one query, rows
    for what the learner did, whatever the size of the catalogue."""
    rows = (
        UserProgress.objects.filter(user=user, course__is_published=True)
        .select_related("course", "current_lesson")
        .defer("current_lesson__body")
        .annotate(lesson_count=Coalesce(_lesson_count_of("course_id"), 0))
        .order_by("course__position", "course__title")
    )
    return [_card(row.course, row.lesson_count, row) for row in rows]


def _lesson_count_of(course_field: str) -> Subquery:
    return Subquery(
        Lesson.objects.filter(course=OuterRef(course_field))
        .order_by()
        .values("course")
        .annotate(n=Count("*"))
        .values("n")
    )


def courses_to_explore(*, user: AbstractBaseUser, limit: int) -> tuple[list[CourseProgress], int]:
    """The first `limit` published courses the learner has not started, and how many
    there are in all (for "see all"): two queries."""
    courses = published_courses().exclude(progress__user=user)
    first = courses.annotate(lesson_count=Coalesce(_lesson_count_of("pk"), 0))[:limit]
    return [_card(course, course.lesson_count, None) for course in first], courses.count()


def catalogue_page(*, user: AbstractBaseUser, search: str, page: str | int, per_page: int) -> Page:
    """A page of the published catalogue (titles containing `search`), each course with
    the learner's progress: a Django Page whose object_list is CourseProgress cards.
    Three queries: the count, the page's courses, the learner's rows among them."""
    courses = published_courses().annotate(lesson_count=Coalesce(_lesson_count_of("pk"), 0))
    if search:
        courses = courses.filter(title__icontains=search)
    found = Paginator(courses, per_page).get_page(page)
    rows = {
        row.course_id: row
        for row in UserProgress.objects.filter(
            user=user, course__in=[course.pk for course in found]
        )
        .select_related("current_lesson")
        .defer("current_lesson__body")
    }
    found.object_list = [_card(c, c.lesson_count, rows.get(c.pk)) for c in found]
    return found
