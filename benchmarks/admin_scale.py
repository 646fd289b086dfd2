"""What admins and the heaviest learners wait for, on a data set of a given size.

    python benchmarks/admin_scale.py --database progress_scale_100k [--runs 3]

Against a database `benchmarks/scale.py --keep` loaded (it is not changed: every write
is rolled back). In process, DEBUG off, no cache: each figure is the server's own time
for one request (median of --runs, with the range) and its number of queries. Prints a
Markdown table for docs/performance.md.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from benchmarks.in_process import django_setup

    django_setup(postgres=args.postgres, database=args.database)
    rows = measure(args.runs)
    print("| what | median s | range s | queries |")
    print("|---|--:|--|--:|")
    for what, times, queries in rows:
        spread = f"{min(times):.2f} to {max(times):.2f}"
        print(f"| {what} | {statistics.median(times):.2f} | {spread} | {queries} |")
    return 0


@contextmanager
def rolled_back():
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def timed(runs: int, call) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(runs):
        with rolled_back(), CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return times, queries


def measure(runs: int) -> list[tuple[str, list[float], int]]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from achievements.models import Rule
    from courses.models import Course, Lesson
    from courses.services import course_completion_refresh, lesson_complete

    users = get_user_model()
    admin, _ = users.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    results = []

    def page(what: str, url: str, **query) -> None:
        def get():
            response = client.get(url, query)
            assert response.status_code == 200, (url, response.status_code)

        results.append((what, *timed(runs, get)))

    for what, name in [
        ("courses", "courses_course"),
        ("completions", "courses_lessoncompletion"),
        ("course progress", "courses_userprogress"),
        ("achievements", "achievements_achievement"),
        ("awards", "achievements_userachievement"),
    ]:
        url = reverse(f"admin:{name}_changelist")
        page(f"admin changelist: {what}", url)
        page(f"admin changelist: {what}, search", url, q="learner0421")

    welcome = Course.objects.order_by("position").first()
    popular = (
        Course.objects.annotate(n=Count("lessons"), started=Count("progress", distinct=True))
        .filter(n__gte=5)
        .order_by("-started")
        .first()
    )
    page(
        "admin course change page, Welcome",
        reverse("admin:courses_course_change", args=[welcome.pk]),
    )
    add_url = reverse("admin:achievements_achievement_add")
    for rule, threshold, course in [
        (Rule.LESSONS_COMPLETED, 10, None),
        (Rule.COURSES_COMPLETED, 3, None),
        (Rule.COURSE_LESSONS_COMPLETED, 3, popular),
        (Rule.COURSE_COMPLETED, None, popular),
        (Rule.STREAK_DAYS, 4, None),
    ]:
        data = {
            "name": f"Bench {rule} {secrets.token_hex(3)}",
            "description": "Measured.",
            "icon": "star",
            "is_active": "on",
            "rule": rule,
            "threshold": threshold or "",
            "course": course.pk if course else "",
        }

        def preview(data=data):
            response = client.post(add_url, data)
            # The confirmation page (200), or saved at once when nobody qualifies (302).
            assert response.status_code in (200, 302), response.status_code

        results.append(
            (f"admin: add an achievement, '{rule}' (its preview)", *timed(runs, preview))
        )

    def save_course_with_a_new_lesson():
        lessons = list(welcome.lessons.order_by("position"))
        data = {
            "title": welcome.title, "slug": welcome.slug, "description": welcome.description,
            "position": welcome.position, "is_published": "on",
            "lessons-TOTAL_FORMS": len(lessons) + 1, "lessons-INITIAL_FORMS": len(lessons),
            "lessons-MIN_NUM_FORMS": 0, "lessons-MAX_NUM_FORMS": 1000,
        }  # fmt: skip
        for i, lesson in enumerate([*lessons, None]):
            row = (
                {"id": lesson.pk, "position": lesson.position, "title": lesson.title,
                 "slug": lesson.slug, "body": lesson.body}
                if lesson
                else {"position": lessons[-1].position + 1, "title": "Bench", "slug": "bench"}
            )  # fmt: skip
            data |= {f"lessons-{i}-{k}": v for k, v in row.items()}
            data[f"lessons-{i}-course"] = welcome.pk
        response = client.post(reverse("admin:courses_course_change", args=[welcome.pk]), data)
        assert response.status_code == 302, response.status_code

    results.append(
        (
            "admin: save Welcome with a lesson added (the request)",
            *timed(runs, save_course_with_a_new_lesson),
        )
    )

    def add_lesson_refresh():
        position = welcome.lessons.order_by("-position").first().position + 1
        Lesson.objects.create(course=welcome, title="Bench", slug="bench-lesson", position=position)
        course_completion_refresh(course=welcome, lessons_removed=False)

    results.append(
        ("worker: Welcome's progress after a lesson is added", *timed(runs, add_lesson_refresh))
    )

    def dry_run():
        with open(os.devnull, "w") as devnull:
            call_command("award_achievements", "--dry-run", stdout=devnull)

    results.append(("award_achievements --dry-run", *timed(1, dry_run)))

    for username in ("heavy", os.environ.get("LIGHT_LEARNER", "learner000010")):
        learner = users.objects.get(username=username)
        todo = (
            Lesson.objects.select_related("course")
            .filter(course__is_published=True)
            .exclude(completions__user=learner)
            .order_by("course__position", "position")
            .first()
        )
        if todo is None:
            continue
        count = learner.lesson_completions.count()
        results.append(
            (
                f"lesson_complete, a learner with {count} completions",
                *timed(
                    runs * 3,
                    lambda learner=learner, todo=todo: lesson_complete(user=learner, lesson=todo),
                ),
            )
        )
        learner_client = Client()
        learner_client.force_login(learner)

        def dashboard(learner_client=learner_client):
            response = learner_client.get(reverse("dashboard"))
            assert response.status_code == 200
            dashboard.size = len(response.content)

        times, queries = timed(runs, dashboard)
        results.append(
            (f"dashboard ({dashboard.size // 1000} kB), {count} completions", times, queries)
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
