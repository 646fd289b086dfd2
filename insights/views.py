"""Course insights: the overview, a course's page and its CSV exports. Anyone who may
not see a course gets 404 for every one of these (`insights.access`)."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import batched
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from courses.progress import is_course_complete, percent_complete
from insights import charts, selectors
from insights.access import can_see_insights, insight_course_get, insight_courses
from insights.forms import OVERVIEW_ORDERS, CourseInsightsForm, OverviewForm

STALLED_PAGE = 25
SECTIONS = ("stalled", "activity")  # of a course's page, swapped alone by htmx
# Rows written per chunk of a CSV response: a chunk per row cost more than the rows.
CSV_BATCH = 500
# Characters a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@require_GET
@vary_on_headers("HX-Request")
def overview(request: HttpRequest) -> HttpResponse:
    if not can_see_insights(user=request.user):
        raise Http404("No course insights for you.")
    courses = insight_courses(user=request.user)
    form = OverviewForm(request.GET)
    order = form.order()
    found = selectors.overview(courses=courses)
    rows = _overview_sorted(found.rows, order)
    context = {
        "rows": rows,
        "weeks": found.weeks,
        "order": order,
        "columns": [
            {
                "key": key,
                "label": label,
                "sort": _next_sort(order, key),
                "aria_sort": _aria_sort(order, key),
            }
            for key, label in OVERVIEW_ORDERS.items()
        ],
        "form": form,
        "time_zone": settings.TIME_ZONE,
    }
    # Made here once per row: the template's own tags cost more, for hundreds of courses.
    course_url = reverse("insights:course", args=["-"])[: -len("-/")]
    for row in rows:
        row.spark = charts.sparkline(row.trend)
        row.trend_text = ", ".join(map(str, row.trend))
        row.url = f"{course_url}{row.course.slug}/"
    template = "insights/overview.html#table" if request.htmx else "insights/overview.html"
    return render(request, template, context)


def _overview_sorted(rows: list[selectors.OverviewRow], order: str) -> list:
    key = order.lstrip("-")
    value = {
        "title": lambda r: (r.course.title.casefold(),),
        "started": lambda r: (r.started,),
        "completed": lambda r: (r.completed,),
        "rate": lambda r: (r.rate is not None, r.rate or 0),
        "median": lambda r: (r.median is not None, r.median_days or 0),
        "active": lambda r: (r.active,),
    }[key]
    ordered = sorted(rows, key=lambda r: (*value(r), r.course.title.casefold()))
    return ordered[::-1] if order.startswith("-") else ordered


def _next_sort(order: str, key: str) -> str:
    """A column's link: its order, reversed when it is the current one. Numbers start
    from the largest, titles from A."""
    if order == key:
        return f"-{key}"
    if order == f"-{key}":
        return key
    return key if key == "title" else f"-{key}"


def _aria_sort(order: str, key: str) -> str | None:
    if order == key:
        return "ascending"
    if order == f"-{key}":
        return "descending"
    return None


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """A course's funnel, drop-off by lesson, activity, stalled learners and achievements.

    The activity range and the stalled list are GET forms (links and forms without
    JavaScript); with htmx each swaps its own section in place and only that section is
    computed.
    """
    course = insight_course_get(user=request.user, slug=course_slug)
    form = CourseInsightsForm.from_query(request.GET)
    # The section an htmx request swaps; anything else is the whole page.
    part = request.htmx.target if request.htmx else None
    part = part if part in SECTIONS else None
    # Each lesson's completions are counted for the whole page only: a fragment needs
    # only how many lessons there are.
    lessons = selectors.course_lessons(course=course) if part is None else None
    total = len(lessons) if lessons is not None else course.lessons.count()
    start, end = form.activity_range()
    context = {
        "course": course,
        "form": form,
        "total": total,
        "start": start,
        "end": end,
        "stalled_days": form.stalled_days(),
        "stalled_order": form.stalled_order(),
        "time_zone": settings.TIME_ZONE,
    }
    if part in (None, "stalled"):
        context["stalled"] = selectors.stalled(
            course=course,
            total=total,
            days=form.stalled_days(),
            order=form.stalled_order(),
            page=request.GET.get("page", 1),
            per_page=STALLED_PAGE,
        )
        context["query"] = _query(form)
    if part in (None, "activity"):
        days = selectors.activity(course=course, start=start, end=end)
        context |= {
            "days": days,
            "activity_total": sum(d.completions for d in days),
            "activity_chart": charts.columns([(d.day.isoformat(), d.completions) for d in days]),
        }
    if part is None:
        found = selectors.funnel(course=course, total=total)
        dropped = selectors.drop_off(lessons=lessons, started=found.started)
        drop = selectors.largest_drop(dropped)
        context |= {
            "funnel": found,
            "funnel_chart": charts.horizontal([(s.label, s.learners) for s in found.steps]),
            "lessons": dropped,
            "lessons_chart": charts.horizontal(
                [(_short(f"{each.position}. {each.title}"), each.learners) for each in dropped]
            ),
            "largest_drop": drop[0] if drop else None,
            "largest_drop_by": drop[1] if drop else 0,
            "achievements": selectors.course_achievements(course=course),
        }
    template = f"insights/course.html#{part}" if part else "insights/course.html"
    status = 400 if form.errors and not request.htmx else 200
    return render(request, template, context, status=status)


def _short(label: str, length: int = 30) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _query(form: CourseInsightsForm) -> str:
    """The valid choices as a query string, for the stalled list's page links."""
    start, end = form.activity_range()
    values = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": form.stalled_days(),
        "sort": form.stalled_order(),
    }
    return urlencode(values)


# CSV exports -------------------------------------------------------------------------


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula starts with a quote instead."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_response(rows: Iterable[Iterable[object]], *, filename: str) -> StreamingHttpResponse:
    def chunks() -> Iterator[str]:
        # A byte-order mark first: Excel then reads the file as UTF-8 (accents intact).
        yield "\ufeff"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for batch in batched(rows, CSV_BATCH):
            writer.writerows([_cell(value) for value in row] for row in batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(course, what: str) -> str:
    return f"{course.slug}-{what}-{selectors.site_today().isoformat()}.csv"


@require_GET
def learners_csv(request: HttpRequest, course_slug: str) -> StreamingHttpResponse:
    """Every learner who started the course, streamed: memory stays flat for any number."""
    course = insight_course_get(user=request.user, slug=course_slug)
    total = course.lessons.count()
    zone = selectors.site_zone()

    def when(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(zone).isoformat(timespec="seconds")

    def rows() -> Iterator[list[object]]:
        yield [
            "username",
            "name",
            "started",
            "last activity",
            "lessons done",
            "of total",
            "percentage",
            "completed at",
        ]
        for username, first, last, started, active, done, completed in selectors.learners_export(
            course=course
        ):
            done = min(done, total)
            complete = is_course_complete(completed=done, total=total)
            yield [
                username,
                " ".join(part for part in (first, last) if part),
                when(started),
                when(active),
                done,
                total,
                percent_complete(completed=done, total=total),
                when(completed) if complete else "",
            ]

    return _csv_response(rows(), filename=_filename(course, "learners"))


@require_GET
def summary_csv(request: HttpRequest, course_slug: str) -> StreamingHttpResponse:
    """The funnel and each lesson's completions, as on the page."""
    course = insight_course_get(user=request.user, slug=course_slug)
    lessons = selectors.course_lessons(course=course)
    found = selectors.funnel(course=course, total=len(lessons))
    rows = [["section", "position", "name", "learners", "percent of started"]]
    rows += [["funnel", i, s.label, s.learners, s.percent] for i, s in enumerate(found.steps, 1)]
    rows += [
        ["lesson", each.position, each.title, each.learners, each.percent]
        for each in selectors.drop_off(lessons=lessons, started=found.started)
    ]
    return _csv_response(rows, filename=_filename(course, "summary"))
