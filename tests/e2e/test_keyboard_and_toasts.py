"""Keyboard use of the completion area, and how toasts come and go."""

import pytest
from playwright.sync_api import Page, expect

from courses.models import LessonCompletion
from tests.e2e.helpers import sign_in_context
from tests.factories import AchievementFactory, CourseFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lesson(transactional_db):
    course = CourseFactory(title="Intro to Testing", lessons=4)
    AchievementFactory(name="First steps", description="Complete your first lesson.", icon="star")
    return course.lessons.order_by("position").first()


def focus_ring_width(page: Page) -> float:
    """Width in px of the outline drawn around the focused element (0 when none)."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
        }"""
    )


def test_keyboard_only_complete_and_undo(learner_page: Page, live_server, lesson, console):
    page = learner_page
    page.goto(live_server.url + lesson.get_absolute_url())
    complete = page.get_by_role("button", name="Complete lesson")
    for _ in range(30):
        page.keyboard.press("Tab")
        if complete.evaluate("el => el === document.activeElement"):
            break
    expect(complete).to_be_focused()
    assert focus_ring_width(page) >= 2

    page.keyboard.press("Enter")
    next_lesson = page.get_by_role("link", name="Next lesson: ")
    expect(next_lesson).to_be_focused()  # focus follows the swap instead of falling to <body>
    assert focus_ring_width(page) >= 2
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "25")

    page.keyboard.press("Tab")
    undo = page.get_by_role("button", name="Mark as not complete")
    expect(undo).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_role("button", name="Complete lesson")).to_be_focused()
    assert not LessonCompletion.objects.exists()
    assert console.errors == []


def test_toasts_close_and_leave_after_5_seconds_unless_hovered(
    learner_page: Page, live_server, lesson, console
):
    page = learner_page
    page.clock.install()
    page.goto(live_server.url + lesson.get_absolute_url())
    page.get_by_role("button", name="Complete lesson").click()
    milestone = page.locator(".toast", has_text="Milestone reached")
    achievement = page.locator(".toast", has_text="Achievement unlocked: First steps")
    expect(milestone).to_be_visible()
    expect(achievement).to_be_visible()

    achievement.hover()
    page.clock.fast_forward(6000)
    expect(milestone).to_have_count(0)
    expect(achievement).to_be_visible()  # the pointer is on it: it waits

    achievement.get_by_role("button", name="Dismiss notification").click()
    expect(achievement).to_have_count(0)
    expect(page.get_by_role("status")).to_be_attached()  # the region stays for the next ones
    assert console.errors == []


def test_focused_toast_stays_and_escape_closes_it(learner_page: Page, live_server, lesson):
    page = learner_page
    page.clock.install()
    page.goto(live_server.url + lesson.get_absolute_url())
    page.get_by_role("button", name="Complete lesson").click()
    toast = page.locator(".toast", has_text="First steps")
    toast.get_by_role("button", name="Dismiss notification").focus()
    page.clock.fast_forward(6000)
    expect(toast).to_be_visible()
    page.keyboard.press("Escape")
    expect(toast).to_have_count(0)


def test_finishing_a_course_is_celebrated(learner_page: Page, live_server, console):
    course = CourseFactory(title="Tiny course", lessons=1)
    page = learner_page
    page.goto(live_server.url + course.lessons.get().get_absolute_url())
    page.get_by_role("button", name="Complete lesson").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_text("100% milestone, reached")).to_be_attached()
    expect(page.locator("#completion")).to_contain_text("Course complete!")
    toast = page.locator(".toast", has_text="you finished “Tiny course”")
    expect(toast).to_contain_text("Course complete")
    assert console.errors == []


def test_reduced_motion_toasts_appear_without_animation(new_context, live_server, lesson):
    context = new_context(reduced_motion="reduce")
    sign_in_context(context, UserFactory(), live_server.url)
    page = context.new_page()
    page.goto(live_server.url + lesson.get_absolute_url())
    page.get_by_role("button", name="Complete lesson").click()
    toast = page.locator(".toast").first
    expect(toast).to_be_visible()
    duration = toast.evaluate("el => parseFloat(getComputedStyle(el).animationDuration)")
    assert duration < 0.01
