"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server.

No `playwright install`: the system Chromium is launched through `executable_path`.
Without Chromium the tests are skipped with a reason; with REQUIRE_BROWSER=1 (CI) they fail.
"""

import os
import shutil
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from tests.e2e.helpers import sign_in_context
from tests.factories import UserFactory

# live_server runs Django in a thread while Playwright's sync API runs an event loop in
# this one; Django would otherwise refuse ORM calls made from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_BROWSER = (
    "no Chromium found: install Debian's `chromium` package to run the browser tests "
    "(never `playwright install`)"
)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config, items):
    """Without Chromium, skip the browser tests with the reason, unless CI requires them."""
    if CHROMIUM or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=NO_BROWSER))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:  # only reached with REQUIRE_BROWSER=1: a missing browser is a failure
        pytest.fail(f"REQUIRE_BROWSER=1 but {NO_BROWSER}", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Defaults of every context; tests pass viewport, color_scheme... to new_context()."""
    return {**browser_context_args, "locale": "en-US"}


@dataclass
class ConsoleWatch:
    """Console errors and uncaught exceptions of every page in a browser context.

    Chromium reports Content Security Policy violations as console errors, so an empty
    list also means the strict policy blocked nothing.
    """

    errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.errors.append(f"uncaught: {error.error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def learner_user(transactional_db):
    return UserFactory(username="ada", first_name="Ada")


@pytest.fixture
def learner_context(new_context, live_server, learner_user, console) -> BrowserContext:
    """A browser context signed in as `learner_user`, with the console watched."""
    context = new_context()
    console.attach(context)
    sign_in_context(context, learner_user, live_server.url)
    return context


@pytest.fixture
def learner_page(learner_context) -> Page:
    return learner_context.new_page()
