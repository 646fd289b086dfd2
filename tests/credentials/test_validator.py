"""Every document the site issues passes IMS Global's Open Badges validator, run against
the live server (openbadges 1.1.2, in its own environment: see the Makefile).

The validator is first shown to fail on broken documents (a wrong recipient, a
BadgeClass without criteria), so that its passes mean something. It does not implement
hosted revocation (a 200 with "revoked": true passes; it never reads the revocation
list): test_open_badges.py checks the 410 and the list itself.
"""

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from achievements.models import UserAchievement
from achievements.services import achievement_awards_revoke
from courses.services import lesson_complete
from credentials import documents
from tests.factories import AchievementFactory, CourseFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / ".venv-validator" / "bin" / "python"
SCRIPT = Path(__file__).with_name("ob_validate.py")
MISSING = (
    f"IMS Global's Open Badges validator not installed at {VALIDATOR}: "
    "`make .venv-validator/.installed` (make test builds it)"
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module", autouse=True)
def validator_installed():
    if not VALIDATOR.exists():
        if os.environ.get("REQUIRE_VALIDATOR") == "1":
            pytest.fail(f"REQUIRE_VALIDATOR=1 but {MISSING}", pytrace=False)
        pytest.skip(MISSING)


def validate(target: str, email: str | None = None) -> dict:
    """The validator's whole result for a URL or a baked PNG file."""
    command = [str(VALIDATOR), str(SCRIPT), target, *([email] if email else [])]
    # Its HTTP requests have no timeout of their own: a hung server must not hang the suite.
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr  # 0 valid, 1 invalid, anything else crashed
    return json.loads(done.stdout)


def errors(result: dict) -> list[str]:
    return [m["result"] for m in result["report"]["messages"] if m["messageLevel"] == "ERROR"]


@pytest.fixture
def award(live_server):
    learner = UserFactory(username="ada", email="ada@example.org")
    course = CourseFactory(title="Intro to Testing", lessons=2)
    AchievementFactory(name="First steps", description="Complete your first lesson.")
    lesson_complete(
        user=learner, lesson=course.lessons.select_related("course").order_by("position")[0]
    )
    return UserAchievement.objects.select_related("achievement").get()


def url(live_server, name: str, *args) -> str:
    return live_server.url + reverse(name, args=args)


def test_an_assertion_passes_for_its_recipient(live_server, award):
    result = validate(url(live_server, "badge", award.public_id), "ada@example.org")

    assert result["report"]["valid"], errors(result)
    assert result["report"]["errorCount"] == 0
    assert result["report"]["recipientProfile"] == {"email": "ada@example.org"}
    types = sorted(node["type"] for node in result["graph"] if "type" in node)
    assert types == ["Assertion", "BadgeClass", "Issuer"]


def test_it_fails_for_anyone_else(live_server, award):
    result = validate(url(live_server, "badge", award.public_id), "grace@example.org")

    assert not result["report"]["valid"]
    assert any("did not match assertion" in error for error in errors(result))


def test_it_fails_a_badge_class_without_criteria(live_server, award, monkeypatch):
    """Broken on purpose, in the live server's own process, to see the validator object."""
    real = documents.badge_class_document

    def without_criteria(*args, **kwargs):
        document = real(*args, **kwargs)
        del document["criteria"]
        return document

    monkeypatch.setattr(documents, "badge_class_document", without_criteria)

    result = validate(url(live_server, "badge", award.public_id), "ada@example.org")

    assert not result["report"]["valid"]
    assert any("Required property criteria not present" in e for e in errors(result))


@pytest.mark.parametrize("name", ["ob_issuer", "ob_revocation_list"])
def test_the_issuer_and_its_revocation_list_pass_alone(live_server, award, name):
    result = validate(url(live_server, name))

    assert result["report"]["valid"], errors(result)


def test_a_badge_class_passes_alone(live_server, award):
    result = validate(url(live_server, "badge_class", award.achievement.public_id))

    assert result["report"]["valid"], errors(result)


def test_a_baked_badge_passes_and_points_at_its_hosted_assertion(live_server, award, tmp_path):
    """Downloaded from the live server by the learner, so it names the live server's URLs."""
    client = Client()
    client.force_login(award.user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    download = urllib.request.Request(
        url(live_server, "badge_download", award.public_id),
        headers={"Cookie": f"{cookie.key}={cookie.value}"},
    )
    with urllib.request.urlopen(download, timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png"
        baked = tmp_path / "badge.png"
        baked.write_bytes(response.read())

    result = validate(str(baked), "ada@example.org")

    assert result["report"]["valid"], errors(result)
    assert result["input"]["value"] == url(live_server, "badge", award.public_id)


def test_a_revoked_assertion_no_longer_passes(live_server, award):
    achievement_awards_revoke(
        awards=UserAchievement.objects.all(),
        revoked_by=UserFactory(username="root"),
        reason="Awarded in error",
    )

    result = validate(url(live_server, "badge", award.public_id), "ada@example.org")

    # Only because the 410 body lacks the assertion's properties: it does not know 410.
    assert not result["report"]["valid"]
    node = next(n for n in result["graph"] if n.get("id", "").endswith(f"{award.public_id}/"))
    assert node["revoked"] is True
