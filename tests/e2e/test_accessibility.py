"""axe-core on every page, light and dark, 360 px and desktop; no horizontal overflow on phones."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from courses.services import lesson_complete
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import sign_in_context
from tests.factories import AchievementFactory, CourseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe()
BLOCKING = {"serious", "critical"}


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
def test_every_page_passes_axe_and_fits_the_screen(
    new_context, live_server, learner_user, console, color_scheme, viewport
):
    course = CourseFactory(
        title="Intro to Testing",
        slug="intro-to-testing",
        description="Write tests that tell you something, and keep them fast.",
        lessons=4,
    )
    CourseFactory(title="A course not started yet", lessons=2)
    done = CourseFactory(title="Finished course", lessons=1)
    AchievementFactory(name="First steps", description="Complete your first lesson.")
    AchievementFactory(name="Two in a row", description="Complete two lessons.", threshold=2)
    AchievementFactory(name="Ten lessons", description="Complete ten lessons.", threshold=10)
    lesson_complete(user=learner_user, lesson=done.lessons.get())  # unlocks "First steps"
    lessons = list(course.lessons.order_by("position"))

    # Reduced motion: axe must read toasts at full opacity, never halfway through a fade.
    context = new_context(color_scheme=color_scheme, viewport=viewport, reduced_motion="reduce")
    console.attach(context)
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found = axe_problems(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            found.append(f"page is {width}px wide on a {viewport['width']}px screen")
        if found:
            problems[name] = found

    page.goto(live_server.url + "/accounts/login/")
    check("login")
    page.goto(live_server.url + "/accounts/signup/")
    check("signup")

    sign_in_context(context, learner_user, live_server.url)
    page.goto(live_server.url + "/")
    check("dashboard")
    page.goto(live_server.url + course.get_absolute_url())
    check("course")
    page.goto(live_server.url + lessons[0].get_absolute_url())
    check("lesson")
    page.get_by_role("button", name="Complete lesson").click()
    toasts = page.locator("#toasts .toast")
    expect(toasts).to_have_count(2)
    expect(page.locator("#completion")).to_contain_text("Completed")
    # Keep the toasts on screen while axe reads them: one has focus, the other the pointer.
    toasts.first.get_by_role("button").focus()
    toasts.last.hover()
    check("lesson completed, with toasts")
    expect(toasts).to_have_count(2)
    page.goto(live_server.url + "/achievements/")
    check("achievements")
    page.goto(live_server.url + "/accounts/profile/")
    check("profile")
    page.goto(live_server.url + "/courses/?q=course")
    check("catalogue")
    response = page.goto(live_server.url + "/courses/no-such-course/")
    assert response.status == 404
    check("404")

    assert problems == {}
    # Chromium logs a failed document load (the 404) as a console error; nothing else.
    assert [e for e in console.errors if "404" not in e] == []
