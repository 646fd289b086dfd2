"""The catalogue: searching and paging in place with htmx, and the same without JavaScript."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import sign_in_context
from tests.factories import CourseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(transactional_db):
    for n in range(40):
        CourseFactory(title=f"{'Cooking' if n % 5 == 0 else 'Gardening'} {n:02d}", lessons=1)


def test_typing_a_search_filters_in_place_and_the_address_follows(
    learner_page: Page, live_server, catalogue, console
):
    page = learner_page
    page.goto(live_server.url + "/courses/")
    expect(page.locator("#catalogue-summary")).to_contain_text("40 courses, page 1 of 2")
    loads = []
    page.on("load", lambda: loads.append(page.url))

    page.keyboard.press("Tab")  # skip link first: the search is reached by keyboard
    page.get_by_label("Search courses by title").fill("cook")

    expect(page.locator("#catalogue-summary")).to_have_text("8 courses matching “cook”.")
    expect(page.locator("#catalogue-results article")).to_have_count(8)
    expect(page).to_have_url(live_server.url + "/courses/?q=cook")
    assert loads == [], "the results changed without a page load"
    assert console.errors == []


def test_paging_by_keyboard_swaps_the_results(learner_page: Page, live_server, catalogue):
    page = learner_page
    page.goto(live_server.url + "/courses/")
    page.get_by_role("link", name="Next page").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#catalogue-summary")).to_contain_text("page 2 of 2")
    expect(page.locator("#catalogue-results article")).to_have_count(16)
    expect(page).to_have_url(live_server.url + "/courses/?page=2")


def test_without_javascript_search_and_pages_are_plain_requests(
    new_context, live_server, learner_user, catalogue
):
    context = new_context(java_script_enabled=False)
    sign_in_context(context, learner_user, live_server.url)
    page = context.new_page()
    page.goto(live_server.url + "/courses/")

    page.get_by_label("Search courses by title").fill("garden")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(live_server.url + "/courses/?q=garden")
    expect(page.locator("#catalogue-summary")).to_contain_text("32 courses matching “garden”")
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("#catalogue-summary")).to_contain_text("page 2 of 2")
