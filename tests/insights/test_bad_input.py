"""Whatever the query string, the page answers: a form error with the defaults, or a
clamped page, never a 500."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CourseFactory
from tests.insights.helpers import history

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    course = CourseFactory(slug="c", lessons=2)
    history(course, "old", started=timezone.now() - timezone.timedelta(days=40), done={})
    return course


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("days=-3", "days", "greater than or equal to 1"),
        ("days=abc", "days", "Enter a whole number"),
        ("days=99999999999999999999", "days", "less than or equal to 3660"),
        ("start=2026-02-30", "start", "Enter a valid date"),
        ("start=2026-05-10&end=2026-05-01", "end", "The end comes before the start"),
        ("start=2001-01-01&end=2026-01-01", "end", "at most 366 days"),
        ("start=0001-01-01", "start", "from 2000"),
        ("end=9999-12-31", "end", "from 2000"),
        ("sort=password", "sort", "Select a valid choice"),
    ],
)
def test_a_wrong_choice_is_a_form_error_and_the_page_uses_its_default(
    staff_client, course, query, field, message
):
    response = staff_client.get(reverse("insights:course", args=[course.slug]) + "?" + query)

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert message.split()[0] in response.text  # shown beside the field
    assert 'aria-invalid="true"' in response.text
    # Still a whole page, with the defaults where the choice was wrong.
    if field in ("start", "end"):
        assert len(response.context["days"]) == 90
        assert response.context["end"] == timezone.localdate()
    if field == "days":
        assert response.context["stalled_days"] == 14
    if field == "sort":
        assert response.context["stalled_order"] == "last_activity"
    assert [learner.username for learner in response.context["stalled"]] == ["old"]


def test_the_error_comes_back_in_place_for_htmx(staff_client, course):
    response = staff_client.get(
        reverse("insights:course", args=[course.slug]) + "?days=-3",
        headers={"HX-Request": "true", "HX-Target": "stalled"},
    )

    assert response.status_code == 200  # htmx swaps only successful answers
    assert response.text.lstrip().startswith('<section id="stalled"')
    assert "greater than or equal to 1" in response.text


@pytest.mark.parametrize("page", ["999", "abc", "-1", "0", "1e9"])
def test_a_page_out_of_range_is_the_nearest_page(staff_client, course, page):
    response = staff_client.get(reverse("insights:course", args=[course.slug]) + f"?page={page}")

    assert response.status_code == 200
    assert response.context["stalled"].number == 1
    assert "old" in response.text


def test_a_wrong_overview_order_is_the_default_order(staff_client, course):
    response = staff_client.get(reverse("insights:overview") + "?sort=;drop")

    assert response.status_code == 200
    assert response.context["order"] == "title"


@pytest.mark.parametrize("order", ["title", "-started", "completed", "-rate", "median", "-active"])
def test_every_overview_order_answers(staff_client, course, order):
    CourseFactory(slug="d", lessons=1)

    response = staff_client.get(reverse("insights:overview") + f"?sort={order}")

    assert response.status_code == 200
    assert f'aria-sort="{"descending" if order[0] == "-" else "ascending"}"' in response.text


def test_a_post_is_refused(staff_client, course):
    assert staff_client.post(reverse("insights:course", args=[course.slug])).status_code == 405


def test_the_fields_show_the_choices_in_use(staff_client, course):
    today = timezone.localdate()

    page = staff_client.get(reverse("insights:course", args=[course.slug])).text

    assert f'name="start" value="{today - timezone.timedelta(days=89)}"' in page
    assert f'name="end" value="{today}"' in page
    assert 'name="days" value="14"' in page
    assert '<option value="last_activity" selected>' in page


def test_an_htmx_request_for_another_target_gets_the_whole_page(staff_client, course):
    response = staff_client.get(
        reverse("insights:course", args=[course.slug]),
        headers={"HX-Request": "true", "HX-Target": "main"},
    )

    assert response.status_code == 200
    assert "<html" in response.text and 'id="stalled"' in response.text
    assert response.context["funnel"].started == 1
