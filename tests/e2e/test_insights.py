"""Course insights in a real browser: axe-clean, charts with text alternatives, filters
and pages by keyboard in place with htmx, and the same without JavaScript."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from achievements.models import Rule
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import sign_in_context
from tests.factories import AchievementFactory, CourseFactory, UserAchievementFactory, UserFactory
from tests.insights.helpers import history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe()
BLOCKING = {"serious", "critical"}
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def ago(days: float):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def school(transactional_db):
    """A course of five lessons: 30 learners stalled at different places, a few active,
    a few finished; a second course with a handful."""
    course = CourseFactory(title="Python Foundations", slug="python-foundations", lessons=5)
    for n in range(30):
        done = {i: ago(60 - n - i) for i in range(1, 1 + n % 5)}
        history(course, f"stalled{n:02}", started=ago(61 - n), done=done, first_name="Sam")
    for n in range(6):
        history(
            course, f"busy{n}", started=ago(10), done={i: ago(6 - i) for i in range(1, 6 - n % 3)}
        )
    badge = AchievementFactory(
        name="Pythonista", rule=Rule.COURSE_COMPLETED, threshold=None, course=course
    )
    for n in range(3):
        UserAchievementFactory(user=UserFactory(username=f"badge{n}"), achievement=badge)
    other = CourseFactory(title="Writing Accessible Interfaces", slug="accessible", lessons=3)
    for n in range(4):
        history(other, f"w{n}", started=ago(20), done={1: ago(19 - n), 2: ago(9 - n)})
    return course


@pytest.fixture
def instructor(transactional_db, school):
    user = UserFactory(username="instructor", first_name="Ines")
    school.instructors.add(user)
    return user


@pytest.fixture
def page(new_context, live_server, instructor, console) -> Page:
    context = new_context()
    console.attach(context)
    sign_in_context(context, instructor, live_server.url)
    return context.new_page()


def axe_problems(page: Page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "desktop"])
def test_insights_pages_pass_axe_and_fit_the_screen(
    new_context, live_server, instructor, console, color_scheme, viewport
):
    context = new_context(color_scheme=color_scheme, viewport=viewport, reduced_motion="reduce")
    console.attach(context)
    sign_in_context(context, instructor, live_server.url)
    page = context.new_page()
    problems = {}

    def check(name):
        found = axe_problems(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            found.append(f"page is {width}px wide on a {viewport['width']}px screen")
        if found:
            problems[name] = found

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Course insights")).to_be_visible()
    check("overview")
    page.get_by_role("link", name="Python Foundations").click()
    expect(page.get_by_role("heading", name="Python Foundations: insights")).to_be_visible()
    check("course")
    for summary in page.locator("details summary").all():
        summary.click()
    check("course, tables shown")
    page.goto(
        live_server.url + "/insights/python-foundations/?days=-3&start=2026-05-01&end=2026-01-01"
    )
    check("course, form errors")

    assert problems == {}
    assert [e for e in console.errors if "400" not in e] == []


def test_every_chart_has_a_name_with_its_numbers_and_a_table(page: Page, live_server):
    page.goto(live_server.url + "/insights/")
    expect(
        page.get_by_role("img", name="Python Foundations: courses finished per week")
    ).to_have_count(1)

    page.goto(live_server.url + "/insights/python-foundations/")
    funnel = page.get_by_role("img", name="Funnel: learners at each step")
    expect(funnel).to_have_accessible_name(
        "Funnel: learners at each step: Started 36; Reached 25% 24; Reached 50% 18;"
        " Reached 75% 10; Completed 2"
    )
    expect(page.get_by_role("img", name="Learners who completed each lesson")).to_be_visible()
    expect(page.get_by_role("img", name="Lesson completions per day")).to_be_visible()
    page.get_by_text("Show the funnel as a table").click()
    expect(page.get_by_role("table", name="Funnel").get_by_role("row")).to_have_count(6)
    page.get_by_text("Show activity as a table").click()
    expect(
        page.get_by_role("table", name="Lesson completions per day").get_by_role("row")
    ).to_have_count(91)


def test_stalled_filter_and_pages_by_keyboard_in_place(page: Page, live_server, console):
    page.goto(live_server.url + "/insights/python-foundations/")
    summary = page.locator("#stalled-summary")
    expect(summary).to_contain_text("30 learners started")
    expect(summary).to_contain_text("page 1 of 2")
    loads = []
    page.on("load", lambda: loads.append(page.url))

    field = page.get_by_label("No completion for at least (days)")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("40")
    page.keyboard.press("Enter")

    expect(summary).to_contain_text("for 40 days or more")
    expect(page).to_have_url(re.compile(r"days=40"))
    rows = page.locator("#stalled tbody tr")
    count = rows.count()
    assert 0 < count < 25

    page.get_by_label("Order", exact=True).focus()
    page.keyboard.press("End")  # the last choice: username, Z to A
    page.get_by_role("button", name="Show these learners").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=-username"))
    expect(page.locator("#stalled tbody tr").first.locator("th")).to_contain_text(
        "stalled20"
    )  # the last name idle 40 days

    page.get_by_label("No completion for at least (days)").fill("14")
    page.get_by_role("button", name="Show these learners").press("Enter")
    expect(summary).to_contain_text("page 1 of 2")
    next_page = page.get_by_role("link", name="Next page")
    next_page.focus()
    page.keyboard.press("Enter")
    expect(summary).to_contain_text("page 2 of 2")
    expect(page.locator("#stalled tbody tr")).to_have_count(5)
    expect(page).to_have_url(re.compile(r"page=2"))
    assert loads == [], "the list changed without a page load"
    assert console.errors == []


def test_activity_range_by_keyboard_in_place(page: Page, live_server):
    page.goto(live_server.url + "/insights/python-foundations/")
    start = (timezone.localdate() - timedelta(days=13)).isoformat()
    end = timezone.localdate().isoformat()
    loads = []
    page.on("load", lambda: loads.append(page.url))

    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("To", exact=True).fill(end)
    page.get_by_role("button", name="Show these days").press("Enter")

    expect(page.locator("#activity-summary")).to_contain_text("(14 days)")
    assert f"start={start}" in page.url and f"end={end}" in page.url
    assert loads == []


def test_overview_sorts_in_place(page: Page, live_server):
    page.goto(live_server.url + "/insights/")
    # The instructor teaches one course: sort and check the header says how.
    page.get_by_role("link", name="Started (sort descending)").press("Enter")
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Started")
    assert "sort=-started" in page.url


def test_without_javascript_filters_and_pages_are_plain_requests(
    new_context, live_server, instructor
):
    context = new_context(java_script_enabled=False)
    sign_in_context(context, instructor, live_server.url)
    page = context.new_page()
    page.goto(live_server.url + "/insights/python-foundations/")

    page.get_by_label("No completion for at least (days)").fill("20")
    page.get_by_role("button", name="Show these learners").click()
    expect(page.locator("#stalled-summary")).to_contain_text("for 20 days or more")
    assert "days=20" in page.url
    page.get_by_label("No completion for at least (days)").fill("14")
    page.get_by_role("button", name="Show these learners").click()
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("#stalled-summary")).to_contain_text("page 2 of 2")
    page.goto(live_server.url + "/insights/")
    page.get_by_role("link", name="Completed (sort descending)").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Completed")


@pytest.mark.skipif(
    os.environ.get("SCREENSHOTS") != "1", reason="regenerates docs/screenshots: SCREENSHOTS=1"
)
def test_take_insights_screenshots(new_context, live_server, school):
    root = UserFactory(username="admin", is_staff=True, is_superuser=True)
    context = new_context(
        reduced_motion="reduce", device_scale_factor=1, viewport={"width": 1280, "height": 860}
    )
    sign_in_context(context, root, live_server.url)
    page = context.new_page()
    OUT.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + "/insights/")
    page.screenshot(path=OUT / "insights-overview.png")
    page.goto(live_server.url + "/insights/python-foundations/")
    page.screenshot(path=OUT / "insights-course.png", full_page=True)
