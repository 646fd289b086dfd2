"""Read side of course insights: what the people who run courses see.

Every number follows the learner pages' rules (`courses.progress`): only lessons that
exist now count, a learner's count never goes past the course's lessons, an undone
lesson is not counted (its completion row is gone), and a course that gained a lesson
is not complete for those who finished it before. Each learner's count comes from their
progress row (`lessons_done`, kept by `courses.services` under the learner's lock), so
a page reads one row per learner, never their completions, and runs a fixed number of
queries whatever the numbers of learners, lessons or courses. Dates are the site's
(settings.TIME_ZONE).
"""

import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from achievements.models import Achievement, UserAchievement
from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.progress import MILESTONES, is_course_complete, percent_complete

TREND_WEEKS = 12
ACTIVE_DAYS = 7


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def site_today() -> date:
    return timezone.localtime(timezone.now(), site_zone()).date()


def local_midnight(day: date) -> datetime:
    """The start of a day of the site's calendar, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=site_zone())


def share(part: int, whole: int) -> int:
    """Whole percent of `whole`, honest at both ends (100 only when all, 0 only when none)."""
    return percent_complete(completed=part, total=whole)


class Median(Aggregate):
    """PostgreSQL's median (an interpolating percentile), for durations."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _lesson_count() -> Subquery:
    return Subquery(
        Lesson.objects.filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("*"))
        .values("n")
    )


def _time_to_finish() -> ExpressionWrapper:
    return ExpressionWrapper(F("completed_at") - F("started_at"), output_field=DurationField())


# Overview ---------------------------------------------------------------------------


@dataclass
class OverviewRow:
    course: Course
    lessons: int
    started: int = 0
    completed: int = 0
    active: int = 0  # learners with a completion in the last ACTIVE_DAYS days
    median: timedelta | None = None  # from starting to completing, among those complete
    trend: list[int] = field(default_factory=list)  # completions per week, oldest first

    @property
    def rate(self) -> int | None:
        return share(self.completed, self.started) if self.started else None

    @property
    def median_days(self) -> float | None:
        return None if self.median is None else self.median.total_seconds() / 86400


@dataclass(frozen=True)
class Overview:
    rows: list[OverviewRow]
    weeks: list[date]  # the Monday of each trend week, oldest first


def trend_weeks(*, today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]


def overview(*, courses: QuerySet[Course]) -> Overview:
    """One row per course: four queries, whatever the numbers of courses, lessons and
    learners."""
    now = timezone.now()
    weeks = trend_weeks(today=site_today())
    listed = courses.annotate(lesson_total=Coalesce(_lesson_count(), 0)).order_by(
        "position", "title"
    )
    rows = {c.pk: OverviewRow(course=c, lessons=c.lesson_total) for c in listed}
    for row in rows.values():
        row.trend = [0] * TREND_WEEKS
    ids = list(rows)
    # Learners by course and count of lessons done: the counts compare with each course's
    # lessons here, so a course that gained a lesson is not complete even before its
    # progress rows are refreshed (courses.tasks).
    by_count = (
        UserProgress.objects.filter(course_id__in=ids)
        .order_by()
        .values_list("course_id", "lessons_done")
        .annotate(
            n=Count("*"),
            active=Count("pk", filter=Q(last_activity_at__gte=now - timedelta(days=ACTIVE_DAYS))),
        )
    )
    for course_id, done, n, active in by_count:
        row = rows[course_id]
        row.started += n
        row.active += active
        if is_course_complete(completed=done, total=row.lessons):
            row.completed += n
    week_of = {week: i for i, week in enumerate(weeks)}
    by_week = (
        UserProgress.objects.filter(course_id__in=ids, completed_at__gte=local_midnight(weeks[0]))
        .order_by()
        .annotate(week=TruncWeek("completed_at", tzinfo=site_zone()))
        .values_list("course_id", "week", "lessons_done")
        .annotate(n=Count("*"))
    )
    for course_id, week, done, n in by_week:
        row = rows[course_id]
        index = week_of.get(_as_date(week))
        if index is not None and is_course_complete(completed=done, total=row.lessons):
            row.trend[index] += n
    _medians(rows)
    return Overview(rows=list(rows.values()), weeks=weeks)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (
            timezone.localtime(value, site_zone()).date()
            if timezone.is_aware(value)
            else (value.date())
        )
    return value


def _complete(rows: dict[int, OverviewRow]) -> Q:
    """Progress rows complete in these courses: as many lessons done as the course has
    now. One condition per distinct lesson count (few), not a subquery per row."""
    by_total = defaultdict(list)
    for course_id, row in rows.items():
        if row.lessons:
            by_total[row.lessons].append(course_id)
    complete = Q(pk__in=[])
    for total, course_ids in by_total.items():
        complete |= Q(course_id__in=course_ids, lessons_done__gte=total)
    return complete


def _medians(rows: dict[int, OverviewRow]) -> None:
    """Each course's median time from starting to completing, among learners complete
    now: on PostgreSQL one query, a median per course from the partial index of finished
    rows (`progress_finished`, read alone); SQLite has no percentile, so there every
    finished learner's time is read and the median taken in Python (the demo's size)."""
    if connection.vendor == "postgresql":
        finished = (
            UserProgress.objects.filter(
                course=OuterRef("pk"),
                completed_at__isnull=False,
                lessons_done__gte=OuterRef("lesson_total"),
            )
            .order_by()
            .values("course")
            .annotate(m=Median(_time_to_finish()))
            .values("m")
        )
        medians = (
            Course.objects.filter(pk__in=[pk for pk, row in rows.items() if row.lessons])
            .annotate(lesson_total=_lesson_count())
            .annotate(median=Subquery(finished, output_field=DurationField()))
            .values_list("pk", "median")
        )
        for course_id, median in medians:
            rows[course_id].median = median
        return
    spans = defaultdict(list)
    finished = UserProgress.objects.filter(_complete(rows), completed_at__isnull=False).values_list(
        "course_id", "started_at", "completed_at"
    )
    for course_id, started, completed in finished.order_by():
        spans[course_id].append(completed - started)
    for course_id, values in spans.items():
        rows[course_id].median = statistics.median(values)


# One course --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    learners: int
    percent: int  # of the learners who started


@dataclass(frozen=True)
class LessonCount:
    position: int  # 1, 2, … in course order
    title: str
    learners: int
    percent: int  # of the learners who started


@dataclass(frozen=True)
class Funnel:
    started: int
    steps: list[Step]


def course_lessons(*, course: Course) -> list[LessonCount]:
    """Each lesson in course order with how many learners completed it (undone lessons
    have no row, removed lessons are not listed): one query. Percentages are filled by
    `drop_off`."""
    # A count per lesson in a subquery: served by the index on the lesson alone (an
    # index-only scan), where a join counting completion ids read every completion row.
    completed_by = (
        LessonCompletion.objects.filter(lesson=OuterRef("pk"))
        .order_by()
        .values("lesson")
        .annotate(n=Count("*"))
        .values("n")
    )
    lessons = (
        course.lessons.order_by("position")
        .annotate(learners=Coalesce(Subquery(completed_by), 0))
        .values_list("title", "learners")
    )
    return [
        LessonCount(position=i, title=title, learners=n, percent=0)
        for i, (title, n) in enumerate(lessons, start=1)
    ]


def drop_off(*, lessons: list[LessonCount], started: int) -> list[LessonCount]:
    return [
        LessonCount(
            position=each.position,
            title=each.title,
            learners=each.learners,
            percent=share(each.learners, started),
        )
        for each in lessons
    ]


def largest_drop(lessons: list[LessonCount]) -> tuple[LessonCount, int] | None:
    """The lesson with the largest fall in learners from the lesson before it (the first
    such, when several tie), and by how many; None if no lesson has fewer."""
    drops = [(b.learners - a.learners, a) for b, a in pairwise(lessons)]
    by, lesson = max(drops, key=lambda d: d[0], default=(0, None))
    return (lesson, by) if by > 0 else None


def funnel(*, course: Course, total: int) -> Funnel:
    """Started, reached 25 %, 50 %, 75 %, completed: one query (learners by count of
    lessons done), the percentages as the learner's progress bar computes them."""
    started = 0
    reached = dict.fromkeys(MILESTONES, 0)
    counts = (
        UserProgress.objects.filter(course=course)
        .order_by()
        .values_list("lessons_done")
        .annotate(n=Count("*"))
    )
    for done, n in counts:
        started += n
        percentage = percent_complete(completed=min(done, total), total=total)
        for milestone in MILESTONES:
            if percentage >= milestone:
                reached[milestone] += n
    steps = [Step("Started", started, share(started, started))]
    steps += [
        Step(f"Reached {m}%", reached[m], share(reached[m], started)) for m in MILESTONES[:-1]
    ]
    steps.append(Step("Completed", reached[100], share(reached[100], started)))
    return Funnel(started=started, steps=steps)


@dataclass(frozen=True)
class Day:
    day: date
    completions: int


def activity(*, course: Course, start: date, end: date) -> list[Day]:
    """Lesson completions in the course on each day from start to end (the site's
    calendar days, empty days included): one query."""
    counted = dict(
        LessonCompletion.objects.filter(
            lesson__course=course,
            completed_at__gte=local_midnight(start),
            completed_at__lt=local_midnight(end + timedelta(days=1)),
        )
        .order_by()
        .annotate(day=TruncDate("completed_at", tzinfo=site_zone()))
        .values_list("day")
        .annotate(n=Count("*"))
    )
    days = (end - start).days + 1
    return [Day(d, counted.get(d, 0)) for d in (start + timedelta(days=i) for i in range(days))]


# The stalled list's orders: a key of the form, and its SQL order.
STALLED_ORDERS = {
    "last_activity": ("idle_since", "user__username"),
    "-last_activity": ("-idle_since", "user__username"),
    "progress": ("lessons_done", "user__username"),
    "-progress": ("-lessons_done", "user__username"),
    "username": ("user__username",),
    "-username": ("-user__username",),
}


@dataclass(frozen=True)
class Learner:
    username: str
    name: str
    started_at: datetime
    last_activity_at: datetime | None
    lessons_done: int
    total: int

    @property
    def percentage(self) -> int:
        return percent_complete(completed=self.lessons_done, total=self.total)


def stalled(
    *, course: Course, total: int, days: int, order: str, page: int | str, per_page: int
) -> Page:
    """Learners who started, are not complete, and completed nothing in the course for
    `days` days (counted from when they started if they have no completion left): a page
    of `Learner`s; two queries (the count, the page)."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        UserProgress.objects.filter(course=course)
        .annotate(idle_since=Coalesce("last_activity_at", "started_at"))
        .filter(idle_since__lt=since)
        .order_by(*STALLED_ORDERS[order])
    )
    if total:
        # Not complete: fewer lessons done than the course has (a course without lessons
        # is never complete).
        rows = rows.filter(lessons_done__lt=total)
    found = Paginator(
        rows.values_list(
            "user__username",
            "user__first_name",
            "user__last_name",
            "started_at",
            "last_activity_at",
            "lessons_done",
        ),
        per_page,
    ).get_page(page)
    found.object_list = [
        Learner(
            username=username,
            name=" ".join(part for part in (first, last) if part),
            started_at=started_at,
            last_activity_at=last_activity_at,
            lessons_done=min(done, total),
            total=total,
        )
        for username, first, last, started_at, last_activity_at, done in found.object_list
    ]
    return found


@dataclass(frozen=True)
class Held:
    achievement: Achievement
    holders: int


def course_achievements(*, course: Course) -> list[Held]:
    """The achievements whose rule is about this course, with how many learners hold
    each now (a revoked award is history, not held): one query."""
    # Counted in a subquery the partial index of held awards answers alone.
    held = (
        UserAchievement.objects.filter(achievement=OuterRef("pk"), revoked_at__isnull=True)
        .order_by()
        .values("achievement")
        .annotate(n=Count("*"))
        .values("n")
    )
    achievements = Achievement.objects.filter(course=course).annotate(
        holders=Coalesce(Subquery(held), 0)
    )
    return [Held(achievement=a, holders=a.holders) for a in achievements]


def learners_export(*, course: Course) -> Iterator[tuple]:
    """Every learner of the course, oldest start first, read in chunks (a server-side
    cursor on PostgreSQL: flat memory for any number of rows): (username, first name,
    last name, started, last activity, lessons done, completed at)."""
    rows = (
        UserProgress.objects.filter(course=course)
        .order_by("started_at", "pk")
        .values_list(
            "user__username",
            "user__first_name",
            "user__last_name",
            "started_at",
            "last_activity_at",
            "lessons_done",
            "completed_at",
        )
    )
    return rows.iterator(chunk_size=2_000)
