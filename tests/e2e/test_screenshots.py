"""Regenerates the README's screenshots from the demo data; runs only with SCREENSHOTS=1.

SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_screenshots.py
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from achievements.models import UserAchievement
from credentials.models import Certificate
from tests.e2e.helpers import sign_in_context

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("SCREENSHOTS") != "1", reason="regenerates docs/screenshots: SCREENSHOTS=1"
    ),
]


def demo_learner():
    """The `demo` account as `seed_demo` leaves it: one course done, two under way, one
    not started, its awards already announced."""
    call_command("seed_demo", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    demo = get_user_model().objects.get(username="demo")
    demo.last_name = "Learner"  # the name its certificate prints
    demo.save()
    return demo


def test_take_screenshots(new_context, live_server):
    demo = demo_learner()
    context = new_context(
        reduced_motion="reduce", device_scale_factor=1, viewport={"width": 1280, "height": 860}
    )
    sign_in_context(context, demo, live_server.url)
    page = context.new_page()
    OUT.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url + "/")
    page.screenshot(path=OUT / "dashboard.png", full_page=True)  # down to the 0 % card

    page.goto(live_server.url + "/courses/python-foundations/")
    page.screenshot(path=OUT / "course.png")

    # The next Django lesson: halfway, a milestone and "Halfway through Django".
    page.goto(live_server.url + "/courses/web-development-with-django/authentication/")
    page.get_by_role("button", name="Complete lesson").click()
    expect(page.locator("#toasts .toast")).to_have_count(2)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "50")
    expect(page.locator(".progress__fill.pct-50")).to_be_visible()  # settled
    page.mouse.move(1100, 820)  # over the toasts: they stay while hovered
    page.screenshot(path=OUT / "lesson.png")

    # Credentials: the certificate of the course finished, and a badge made public.
    certificate = Certificate.objects.get(user=demo)
    page.goto(f"{live_server.url}/certificates/{certificate.public_id}/")
    page.screenshot(path=OUT / "certificate.png")
    award = UserAchievement.objects.get(user=demo, achievement__name="First steps")
    award.is_public = True
    award.save()
    page.goto(f"{live_server.url}/badges/{award.public_id}/")
    page.screenshot(path=OUT / "badge.png")
