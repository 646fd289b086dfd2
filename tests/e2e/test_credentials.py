"""Credentials in a real browser: the certificate and badge pages pass axe in both schemes
and sizes, print on one landscape page of A4 or Letter without the navigation, and an
award is shared from the keyboard with htmx."""

import re

import pytest
from playwright.sync_api import expect

from achievements.models import UserAchievement
from courses.services import lesson_complete
from credentials.models import Certificate
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_accessibility import axe_problems
from tests.factories import AchievementFactory, CourseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def credentials(learner_user):
    """Ada finished a course (a certificate) and unlocked an achievement (a badge)."""
    learner_user.last_name = "Lovelace"
    learner_user.save()
    AchievementFactory(name="First steps", description="Complete your first lesson.")
    course = CourseFactory(title="Writing accessible interfaces", lessons=2)
    for lesson in course.lessons.select_related("course").order_by("position"):
        lesson_complete(user=learner_user, lesson=lesson)  # commits: the task issues
    award = UserAchievement.objects.get()
    award.is_public = True
    award.save()
    return Certificate.objects.get(), award


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "desktop"])
def test_public_credential_pages_pass_axe_and_fit(
    new_context, live_server, credentials, console, color_scheme, viewport
):
    certificate, award = credentials
    context = new_context(color_scheme=color_scheme, viewport=viewport)
    console.attach(context)
    page = context.new_page()
    problems = {}
    for name, path in [
        ("certificate", f"/certificates/{certificate.public_id}/"),
        ("badge", f"/badges/{award.public_id}/"),
        ("badge class", f"/badges/classes/{award.achievement.public_id}/"),
    ]:
        page.goto(live_server.url + path)
        found = axe_problems(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            found.append(f"page is {width}px wide on a {viewport['width']}px screen")
        if found:
            problems[name] = found

    assert problems == {}
    assert console.errors == []  # nothing the Content Security Policy blocked


def test_the_certificate_prints_on_one_landscape_page_without_navigation(
    new_context, live_server, credentials
):
    certificate, _ = credentials
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(live_server.url + f"/certificates/{certificate.public_id}/")
    expect(page.get_by_role("button", name="Print / Save as PDF")).to_be_visible()

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print / Save as PDF")).to_be_hidden()
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    assert axe_problems(page) == []

    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, landscape=True, print_background=True)
        assert pdf_pages(pdf) == 1, paper


def test_without_javascript_the_print_button_is_not_offered(new_context, live_server, credentials):
    certificate, _ = credentials
    page = new_context(java_script_enabled=False).new_page()
    page.goto(live_server.url + f"/certificates/{certificate.public_id}/")

    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("button", name="Print / Save as PDF")).to_be_hidden()


def test_an_award_is_shared_and_unshared_from_the_keyboard(learner_page, live_server, credentials):
    _, award = credentials
    UserAchievement.objects.update(is_public=False)
    page = learner_page
    page.goto(live_server.url + "/achievements/")
    share = page.get_by_role("button", name="Share First steps")

    share.focus()
    page.keyboard.press("Enter")

    private = page.get_by_role("button", name="Make private First steps")
    expect(private).to_be_focused()  # htmx gave focus back to the swapped button
    expect(page.get_by_text("shows to anyone with the link")).to_be_visible()
    assert UserAchievement.objects.get().is_public is True
    # htmx enables the new form once the swap settles (a key pressed sooner posts the
    # form without it, and the page comes back: correct, but not what is tested here).
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Share First steps")).to_be_focused()
    assert UserAchievement.objects.get(pk=award.pk).is_public is False
    assert axe_problems(page) == []
