"""The CSV exports: what they contain, formulas neutralised, a BOM, streamed."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CourseFactory, LessonFactory
from tests.insights.helpers import history

pytestmark = pytest.mark.django_db


def read(response) -> list[list[str]]:
    assert response.streaming
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8").removeprefix("\ufeff"))))


@pytest.fixture
def course(db):
    return CourseFactory(title="Data", slug="data", lessons=3)


def test_learners_csv_has_every_learner_with_their_progress(staff_client, course, settings):
    settings.TIME_ZONE = "Europe/Paris"
    now = timezone.now().replace(microsecond=0)
    history(
        course,
        "zoë",
        started=now - timedelta(days=9),
        done={1: now - timedelta(days=8), 2: now - timedelta(days=7), 3: now - timedelta(days=6)},
        first_name="Zoë",
        last_name="Ärnström",
    )
    history(course, "bo", started=now - timedelta(days=3), done={2: now - timedelta(days=2)})

    response = staff_client.get(reverse("insights:learners_csv", args=[course.slug]))
    rows = read(response)

    paris = lambda dt: timezone.localtime(dt).isoformat(timespec="seconds")  # noqa: E731
    assert rows == [
        [
            "username",
            "name",
            "started",
            "last activity",
            "lessons done",
            "of total",
            "percentage",
            "completed at",
        ],
        [
            "zoë",
            "Zoë Ärnström",
            paris(now - timedelta(days=9)),
            paris(now - timedelta(days=6)),
            "3",
            "3",
            "100",
            paris(now - timedelta(days=6)),
        ],
        [
            "bo",
            "",
            paris(now - timedelta(days=3)),
            paris(now - timedelta(days=2)),
            "1",
            "3",
            "33",
            "",
        ],
    ]
    assert rows[1][2].endswith(("+01:00", "+02:00"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert response["Content-Disposition"] == f'attachment; filename="data-learners-{today}.csv"'


def test_a_learner_who_finished_before_a_lesson_was_added_has_no_completion_date(
    staff_client, course
):
    now = timezone.now()
    history(course, "ann", started=now - timedelta(days=5), done={1: now, 2: now, 3: now})
    LessonFactory(course=course, position=10_000)

    rows = read(staff_client.get(reverse("insights:learners_csv", args=[course.slug])))

    assert rows[1][4:] == ["3", "4", "75", ""]


@pytest.mark.parametrize(
    "evil", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR"]
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(staff_client, course, evil):
    history(course, "mallory", started=timezone.now(), done={1: timezone.now()}, first_name=evil)

    rows = read(staff_client.get(reverse("insights:learners_csv", args=[course.slug])))

    assert rows[1][1] == "'" + evil
    assert rows[1][0] == "mallory"


def test_summary_csv_has_the_funnel_and_each_lesson(staff_client, course):
    now = timezone.now()
    history(course, "a", started=now, done={1: now, 2: now, 3: now})
    history(course, "b", started=now, done={1: now})
    titles = list(course.lessons.order_by("position").values_list("title", flat=True))

    response = staff_client.get(reverse("insights:summary_csv", args=[course.slug]))

    assert read(response) == [
        ["section", "position", "name", "learners", "percent of started"],
        ["funnel", "1", "Started", "2", "100"],
        ["funnel", "2", "Reached 25%", "2", "100"],
        ["funnel", "3", "Reached 50%", "1", "50"],
        ["funnel", "4", "Reached 75%", "1", "50"],
        ["funnel", "5", "Completed", "1", "50"],
        ["lesson", "1", titles[0], "2", "100"],
        ["lesson", "2", titles[1], "1", "50"],
        ["lesson", "3", titles[2], "1", "50"],
    ]
    assert f"data-summary-{timezone.localdate()}.csv" in response["Content-Disposition"]


def test_a_long_export_arrives_in_several_chunks(staff_client, course):
    now = timezone.now()
    for n in range(1_100):
        history(course, f"l{n:04}", started=now, done={})

    response = staff_client.get(reverse("insights:learners_csv", args=[course.slug]))
    chunks = list(response.streaming_content)

    # The BOM, then 500 rows a chunk: the response never holds the whole file.
    assert len(chunks) == 1 + 3
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 1_101
