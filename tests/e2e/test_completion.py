"""Completing a lesson in a real browser: with htmx, without JavaScript, and when it fails."""

import re

import pytest
from playwright.sync_api import Page, expect

from courses.models import LessonCompletion
from tests.e2e.helpers import sign_in_context
from tests.factories import PASSWORD, AchievementFactory, CourseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMPLETE = re.compile(r"/complete/$")


@pytest.fixture
def course(transactional_db):
    return CourseFactory(
        title="Intro to Testing",
        slug="intro-to-testing",
        description="Write tests that tell you something.",
        lessons=4,
    )


@pytest.fixture
def first_steps(transactional_db):
    return AchievementFactory(
        name="First steps", description="Complete your first lesson.", icon="star", threshold=1
    )


def lesson_url(live_server, course, number: int) -> str:
    lesson = course.lessons.order_by("position")[number - 1]
    return live_server.url + lesson.get_absolute_url()


def progressbar(page: Page):
    return page.get_by_role("progressbar", name="Intro to Testing progress")


def count_navigations(page: Page) -> list[str]:
    """URLs the main frame navigates to from now on (an htmx swap navigates nowhere)."""
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    return navigations


def test_sign_in_and_complete_a_lesson_without_a_page_load(
    page: Page, live_server, course, first_steps, learner_user, console
):
    console.attach(page.context)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome back, Ada")).to_be_visible()

    page.get_by_role("link", name="Start Intro to Testing").click()
    page.get_by_role("link", name="Start the course").click()
    expect(page.get_by_text("Lesson 1 of 4")).to_be_visible()
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "0")

    page.evaluate("window.stillTheSamePage = true")
    navigations = count_navigations(page)
    page.get_by_role("button", name="Complete lesson").click()

    expect(page.locator("#completion")).to_contain_text("Completed")
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "25")
    expect(page.locator(".progress__label")).to_have_text("25%")
    expect(page.get_by_text("25% milestone, reached")).to_be_attached()
    toasts = page.get_by_role("status")
    expect(toasts).to_contain_text("Achievement unlocked: First steps")
    expect(toasts).to_contain_text("Milestone reached")
    expect(toasts).to_contain_text("25% of")
    first_in_list = page.locator("#lesson-list li").first
    expect(first_in_list.get_by_role("img", name="Completed")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert navigations == []

    page.reload()
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "25")
    expect(page.locator("#completion")).to_contain_text("Completed")
    # Announced once: the achievement does not pop up again on the next page.
    expect(page.get_by_role("status")).not_to_contain_text("First steps")
    assert console.errors == []


def test_without_javascript_the_form_posts_and_messages_show_the_toasts(
    new_context, live_server, course, first_steps, learner_user
):
    context = new_context(java_script_enabled=False)
    sign_in_context(context, learner_user, live_server.url)
    page = context.new_page()
    url = lesson_url(live_server, course, 1)
    page.goto(url)
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "0")

    with page.expect_navigation():
        page.get_by_role("button", name="Complete lesson").click()

    expect(page).to_have_url(url)  # post/redirect/get: back on the lesson's own address
    expect(page.locator("#completion")).to_contain_text("Completed")
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "25")
    toasts = page.get_by_role("status")
    expect(toasts).to_contain_text("Milestone reached")
    expect(toasts).to_contain_text("25% of")
    expect(toasts).to_contain_text("Achievement unlocked: First steps")
    # No close button that could not work without JavaScript (the toasts fade by themselves).
    expect(page.get_by_role("button", name="Dismiss notification")).to_have_count(0)
    assert LessonCompletion.objects.filter(user=learner_user).count() == 1

    with page.expect_navigation():
        page.get_by_role("button", name="Mark as not complete").click()
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_role("button", name="Complete lesson")).to_be_visible()


def test_undo_with_htmx_lowers_the_bar(learner_page: Page, live_server, course, console):
    page = learner_page
    page.goto(lesson_url(live_server, course, 2))
    page.get_by_role("button", name="Complete lesson").click()
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "25")

    navigations = count_navigations(page)
    page.get_by_role("button", name="Mark as not complete").click()

    expect(progressbar(page)).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_role("button", name="Complete lesson")).to_be_visible()
    expect(page.locator("#completion")).not_to_contain_text("Completed")
    expect(page.get_by_text("25% milestone, not reached")).to_be_attached()
    assert navigations == []
    assert not LessonCompletion.objects.exists()
    assert console.errors == []


def test_double_click_sends_one_completion(
    learner_page: Page, live_server, course, learner_user, console
):
    page = learner_page
    page.goto(lesson_url(live_server, course, 1))
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    page.get_by_role("button", name="Complete lesson").dblclick()

    expect(page.locator("#completion")).to_contain_text("Completed")
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "25")
    assert len(posts) == 1
    assert LessonCompletion.objects.filter(user=learner_user).count() == 1
    expect(page.locator(".toast--error")).to_have_count(0)
    assert console.errors == []


@pytest.mark.parametrize("failure", ["server error", "network error"])
def test_a_failed_request_shows_an_error_and_the_button_still_works(
    learner_page: Page, live_server, course, learner_user, failure
):
    page = learner_page
    page.goto(lesson_url(live_server, course, 1))

    def fail(route):
        if failure == "server error":
            route.fulfill(status=500, body="Server Error")
        else:
            route.abort("connectionreset")

    page.route(COMPLETE, fail)
    button = page.get_by_role("button", name="Complete lesson")
    button.click()

    expect(page.get_by_role("alert")).to_contain_text("Something went wrong")
    expect(button).to_be_enabled()
    expect(button).to_be_focused()  # still where the learner left it, ready to try again
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "0")
    assert not LessonCompletion.objects.exists()

    page.unroute(COMPLETE)
    button.click()
    expect(progressbar(page)).to_have_attribute("aria-valuenow", "25")
    assert LessonCompletion.objects.filter(user=learner_user).count() == 1
