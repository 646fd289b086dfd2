"""Learner pages. Thin: reads come from selectors, writes from services."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from achievements.selectors import recent_unlocks
from achievements.services import announcements_claim
from courses import selectors, services
from courses.models import Lesson
from courses.page_cache import cached_page_render
from courses.progress import next_incomplete
from courses.selectors import CourseProgress, LessonRow

# Courses not started shown on the dashboard; the rest are a click away (the catalogue).
EXPLORE_CARDS = 6
CATALOGUE_PAGE = 24


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The learner's courses and recent achievements, rendered once per change."""
    user = request.user

    def build() -> dict[str, str]:
        mine = selectors.learner_courses(user=user)
        explore, unstarted = selectors.courses_to_explore(user=user, limit=EXPLORE_CARDS)
        context = {
            "in_progress": [p for p in mine if not p.is_completed],
            "completed": [p for p in mine if p.is_completed],
            "explore": explore,
            "unstarted": unstarted,
            "recent_unlocks": recent_unlocks(user=user),
        }
        return {"main": render_to_string("courses/dashboard.html#main", context)}

    return cached_page_render(request, "courses/dashboard.html", parts=("dashboard",), build=build)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def catalogue(request: HttpRequest) -> HttpResponse:
    """Every published course, searchable by title, a page at a time (the dashboard
    shows only a few to explore). The search and the pages work as plain links and
    forms; htmx swaps the results in place."""
    search = request.GET.get("q", "").strip()[:100]
    page = selectors.catalogue_page(
        user=request.user, search=search, page=request.GET.get("page", 1), per_page=CATALOGUE_PAGE
    )
    context = {
        "page": page,
        "search": search,
        "achievement_announcements": [] if request.htmx else announcements_claim(user=request.user),
    }
    template = "courses/catalogue.html#results" if request.htmx else "courses/catalogue.html"
    return render(request, template, context)


@require_GET
@login_required
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    """A course's lessons and the learner's progress, rendered once per change.

    The lookup is part of the cached build: a cached page is one whose course was
    published when it was built, and unpublishing it invalidates the cache.
    """
    user = request.user

    def build() -> dict[str, str]:
        course = selectors.course_get_published(slug=course_slug)
        lessons, progress = selectors.course_lessons_and_progress(user=user, course=course)
        context = {"course": course, "progress": progress, "lessons": lessons}
        main = render_to_string("courses/course_detail.html#main", context)
        return {"title": course.title, "main": main}

    return cached_page_render(
        request, "courses/course_detail.html", parts=("course", course_slug), build=build
    )


@require_GET
@login_required
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = selectors.lesson_get_published(course_slug=course_slug, lesson_slug=lesson_slug)
    context = _lesson_context(request, lesson)
    context["achievement_announcements"] = announcements_claim(user=request.user)
    return render(request, "courses/lesson_detail.html", context)


def login_required_back_to_lesson(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """login_required for the lesson actions, returning the learner to the lesson page.

    Coming back to the action's own URL would be a GET, which it refuses (405); and an
    htmx request must reload the page rather than swap the sign-in form into the lesson.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, course_slug, lesson_slug)
        to_login = redirect_to_login(reverse("lesson_detail", args=[course_slug, lesson_slug]))
        if request.htmx:
            return HttpResponseClientRedirect(to_login["Location"])
        return to_login

    return wrapper


@require_POST
@login_required_back_to_lesson
def lesson_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = selectors.lesson_get_published(course_slug=course_slug, lesson_slug=lesson_slug)
    # The htmx fragment shows what this completion unlocks; the no-JS redirect's page
    # claims it instead, with anything else waiting.
    result = services.lesson_complete(
        user=request.user, lesson=lesson, announced=bool(request.htmx)
    )
    celebrations = _celebrations(result)
    if request.htmx:
        context = _lesson_context(request, lesson, lessons=result.lessons, progress=result.progress)
        context["celebrations"] = celebrations
        context["unlocked"] = result.achievements_unlocked
        return render(request, "courses/lesson_detail.html#completion_update", context)
    for celebration in celebrations:
        messages.success(request, celebration.text, extra_tags=celebration.kind)
    return redirect(lesson)


@require_POST
@login_required_back_to_lesson
def lesson_uncomplete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = selectors.lesson_get_published(course_slug=course_slug, lesson_slug=lesson_slug)
    services.lesson_uncomplete(user=request.user, lesson=lesson)
    if request.htmx:
        context = _lesson_context(request, lesson)
        context["celebrations"] = []
        return render(request, "courses/lesson_detail.html#completion_update", context)
    messages.info(request, f"“{lesson.title}” is marked as not complete.")
    return redirect(lesson)


def _lesson_context(
    request: HttpRequest,
    lesson: Lesson,
    *,
    lessons: list[LessonRow] | None = None,
    progress: CourseProgress | None = None,
) -> dict:
    """Everything the lesson page and its fragments show; reuses what a write returned."""
    course = lesson.course
    if lessons is None or progress is None:
        lessons, progress = selectors.course_lessons_and_progress(user=request.user, course=course)
    index = next(i for i, each in enumerate(lessons) if each.id == lesson.id)
    return {
        "course": course,
        "lesson": lesson,
        "lessons": lessons,
        "progress": progress,
        "position": index + 1,
        "previous_lesson": lessons[index - 1] if index > 0 else None,
        "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
        # Where "Next lesson" after completing goes: skips lessons already done.
        "next_to_do": next_incomplete(lessons, progress.completed_lesson_ids, after=lesson),
        "is_completed": lesson.id in progress.completed_lesson_ids,
    }


@dataclass(frozen=True)
class Celebration:
    kind: str  # "course" or "milestone": picks the toast's icon and title
    text: str


def _celebrations(result: services.CompletionResult) -> list[Celebration]:
    """Course completion and milestones, as toasts (achievements announce themselves)."""
    title = result.lesson.course.title
    if result.course_completed:
        return [Celebration("course", f"You finished “{title}”. Well done!")]
    return [
        Celebration("milestone", f"{m}% of “{title}” done. Keep going!")
        for m in result.milestones_crossed
    ]
