"""Awards as Open Badges 2.0 hosted assertions: the documents, the recipient's hash, the
content negotiation, revocation, and the headers a CDN keeps them by.

IMS Global's validator checks the same documents (test_validator.py); these tests check
what it does not: hosted revocation, the issuer's e-mail, the images, the headers.
"""

import hashlib
import io
from datetime import datetime

import pytest
from django.urls import reverse
from PIL import Image

from achievements.models import Rule, Trigger
from achievements.services import (
    achievement_award_manual,
    achievement_awards_revoke,
    achievement_backfill,
)
from courses.services import lesson_complete
from tests.factories import AchievementFactory, LessonCompletionFactory, UserFactory

pytestmark = pytest.mark.django_db

JSONLD = {"HTTP_ACCEPT": "application/ld+json"}
# What IMS Global's validator sends, and a browser.
VALIDATOR_ACCEPT = "application/ld+json, application/json, image/png, image/svg+xml"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def badge_url(award) -> str:
    return reverse("badge", args=[award.public_id])


def absolute(path: str) -> str:
    return f"http://testserver{path}"


def get_json(client, url, status=200, accept="application/ld+json"):
    response = client.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == status, response.content
    return response.json()


def test_the_assertion_names_the_learner_by_a_salted_hash_of_their_email(client, award):
    document = get_json(client, badge_url(award))

    recipient = document["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True
    expected = hashlib.sha256(("ada@example.com" + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    other = hashlib.sha256(("grace@example.com" + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] != f"sha256${other}"
    assert "ada@example.com" not in str(document)


def test_each_assertion_has_its_own_salt(client, learner, award, lessons):
    AchievementFactory(name="Two lessons", threshold=2)
    lesson_complete(user=learner, lesson=lessons[1])
    second = learner.achievements.exclude(pk=award.pk).get()

    first_doc, second_doc = (get_json(client, badge_url(a)) for a in (award, second))

    assert first_doc["recipient"]["salt"] != second_doc["recipient"]["salt"]
    assert first_doc["recipient"]["identity"] != second_doc["recipient"]["identity"]


def test_an_address_in_capitals_hashes_as_the_same_recipient(client, learner, award):
    before = get_json(client, badge_url(award))["recipient"]["identity"]
    type(learner).objects.filter(pk=learner.pk).update(email="  Ada@Example.COM ")

    assert get_json(client, badge_url(award))["recipient"]["identity"] == before


def test_the_assertion_links_its_badge_class_and_issuer_on_this_host(client, award, lessons):
    document = get_json(client, badge_url(award))

    assert document["@context"] == "https://w3id.org/openbadges/v2"
    assert document["type"] == "Assertion"
    assert document["id"] == absolute(badge_url(award))
    assert document["verification"] == {"type": "HostedBadge"}
    issued = datetime.fromisoformat(document["issuedOn"])
    assert issued.utcoffset() is not None and issued == award.unlocked_at
    assert document["narrative"] == "1 lesson completed in total."
    assert document["evidence"] == [
        {"narrative": f"Completed the lesson “{lessons[0].title}” of “Intro to Testing”."}
    ]

    badge_class = get_json(client, document["badge"])
    assert badge_class["type"] == "BadgeClass"
    assert badge_class["id"] == document["badge"]
    assert badge_class["name"] == "First steps"
    assert badge_class["criteria"]["narrative"] == "1 lesson completed in total."
    assert badge_class["criteria"]["id"].startswith(badge_class["id"])

    issuer = get_json(client, badge_class["issuer"])
    assert issuer["type"] == "Issuer"
    assert issuer["id"] == badge_class["issuer"]
    # The validator never checks these two (see /tmp research): we do.
    assert issuer["email"] == "badges@example.org"
    assert issuer["name"] == "Progress Academy (demo)"
    assert issuer["revocationList"] == absolute(reverse("ob_revocation_list"))


def test_the_issuer_comes_from_the_settings(client, settings):
    settings.BADGE_ISSUER_NAME = "Example University"
    settings.BADGE_ISSUER_URL = "https://www.example.edu/"
    settings.BADGE_ISSUER_EMAIL = "registrar@example.edu"

    issuer = get_json(client, reverse("ob_issuer"))

    assert (issuer["name"], issuer["url"], issuer["email"]) == (
        "Example University",
        "https://www.example.edu/",
        "registrar@example.edu",
    )


def test_badge_and_issuer_images_are_real_pngs(client, award):
    """The validator fetches images but checks neither their status nor their type."""
    badge_class = get_json(client, get_json(client, badge_url(award))["badge"])
    issuer = get_json(client, badge_class["issuer"])

    for image_url in (badge_class["image"], issuer["image"]):
        response = client.get(image_url.removeprefix("http://testserver"))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
            assert image.format == "PNG" and image.size == (400, 400)


def test_evidence_says_how_each_award_was_made_without_the_admins_notes(client, learner):
    course_rule = AchievementFactory(name="Backfilled", threshold=1)
    manual = AchievementFactory(name="By hand", threshold=50)
    LessonCompletionFactory(user=learner)  # made before the achievement existed
    achievement_backfill(achievement_id=course_rule.pk)
    admin = UserFactory(username="root", is_staff=True)
    achievement_award_manual(
        user=learner, achievement=manual, awarded_by=admin, reason="Internal note #4711"
    )

    evidence = {
        award.trigger: get_json(client, badge_url(award))["evidence"][0]["narrative"]
        for award in learner.achievements.all()
    }

    assert evidence[Trigger.BACKFILL].startswith("Met the criteria before")
    assert evidence[Trigger.MANUAL] == "Awarded by the issuer."
    assert "4711" not in str(evidence) and "root" not in str(evidence)


def test_the_criteria_are_what_the_rule_asked_when_it_was_awarded(client, award):
    award.achievement.threshold = 5
    award.achievement.save()

    assert get_json(client, badge_url(award))["narrative"] == "1 lesson completed in total."
    badge_class = get_json(client, reverse("badge_class", args=[award.achievement.public_id]))
    assert badge_class["criteria"]["narrative"] == "5 lessons completed in total."


class TestContentNegotiation:
    @pytest.mark.parametrize(
        ("accept", "content_type"),
        [
            ("application/ld+json", "application/ld+json"),
            ("application/json", "application/json"),
            (VALIDATOR_ACCEPT, "application/ld+json"),
        ],
    )
    def test_json_clients_get_json_ld(self, client, award, accept, content_type):
        award.is_public = True
        award.save()

        response = client.get(badge_url(award), HTTP_ACCEPT=accept)

        assert response["Content-Type"] == content_type
        assert response.json()["type"] == "Assertion"

    @pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "*/*", None])
    def test_browsers_get_the_page_which_links_the_json(self, client, award, accept):
        award.is_public = True
        award.save()

        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = client.get(badge_url(award), **headers)

        assert response["Content-Type"].startswith("text/html")
        assert (
            f'<link rel="alternate" type="application/ld+json" href="{absolute(badge_url(award))}"'
            in response.content.decode()
        )

    def test_both_answers_vary_by_accept(self, client, award):
        award.is_public = True
        award.save()

        for accept in ("application/ld+json", BROWSER_ACCEPT):
            response = client.get(badge_url(award), HTTP_ACCEPT=accept)
            assert "Accept" in response["Vary"]


class TestRevocation:
    def test_a_revoked_assertion_answers_410_with_the_reason(self, client, award):
        admin = UserFactory(username="root", is_staff=True)
        achievement_awards_revoke(
            awards=type(award).objects.filter(pk=award.pk), revoked_by=admin, reason="Cheating"
        )

        for accept in ("application/ld+json", VALIDATOR_ACCEPT, "application/json"):
            document = get_json(client, badge_url(award), status=410, accept=accept)
            assert document == {
                "@context": "https://w3id.org/openbadges/v2",
                "type": "Assertion",
                "id": absolute(badge_url(award)),
                "revoked": True,
                "revocationReason": "Cheating",
            }

    def test_the_revocation_list_lists_revoked_assertions_only(self, client, award, learner):
        kept = AchievementFactory(name="Kept", threshold=1)
        achievement_backfill(achievement_id=kept.pk)
        admin = UserFactory(username="root", is_staff=True)
        assert get_json(client, reverse("ob_revocation_list"))["revokedAssertions"] == []

        achievement_awards_revoke(
            awards=type(award).objects.filter(pk=award.pk), revoked_by=admin, reason="In error"
        )

        document = get_json(client, reverse("ob_revocation_list"))
        assert document["type"] == "RevocationList"
        assert document["issuer"] == absolute(reverse("ob_issuer"))
        assert document["revokedAssertions"] == [
            {"id": absolute(badge_url(award)), "revocationReason": "In error"}
        ]

    def test_a_revoked_public_page_says_revoked_and_when(self, client, award):
        award.is_public = True
        award.save()
        admin = UserFactory(username="root", is_staff=True)
        achievement_awards_revoke(
            awards=type(award).objects.filter(pk=award.pk), revoked_by=admin, reason="In error"
        )

        page = client.get(badge_url(award)).content.decode()

        assert "Revoked" in page and "In error" in page
        assert "Verified" not in page
        assert "linkedin.com" not in page


class TestPublicResponses:
    """A CDN may keep them: the same bytes for everyone, cache headers, the strict CSP."""

    def urls(self, award, achievement):
        award.is_public = True
        award.save()
        return [
            badge_url(award),
            reverse("badge_class", args=[achievement.public_id]),
            reverse("ob_issuer"),
            reverse("ob_revocation_list"),
        ]

    @pytest.mark.parametrize("accept", ["application/ld+json", BROWSER_ACCEPT])
    def test_cache_headers_and_csp(self, client, award, achievement, accept, settings):
        for url in self.urls(award, achievement):
            response = client.get(url, HTTP_ACCEPT=accept)
            assert response.status_code == 200, url
            cache_control = set(response["Cache-Control"].split(", "))
            assert cache_control == {"public", f"max-age={settings.CREDENTIALS_MAX_AGE}"}, url
            assert "default-src 'self'" in response["Content-Security-Policy"]
            assert "nonce" not in response["Content-Security-Policy"]
            assert "unsafe-inline" not in response["Content-Security-Policy"]
            assert "Cookie" not in response.get("Vary", ""), url
            assert not response.cookies, url

    @pytest.mark.parametrize("accept", ["application/ld+json", BROWSER_ACCEPT])
    def test_a_signed_in_learner_gets_the_same_response_as_anyone(
        self, client, award, achievement, learner, accept
    ):
        urls = self.urls(award, achievement)
        anonymous = [client.get(url, HTTP_ACCEPT=accept) for url in urls]
        client.force_login(learner)
        signed_in = [client.get(url, HTTP_ACCEPT=accept) for url in urls]

        for before, after in zip(anonymous, signed_in, strict=True):
            assert after.content == before.content
            assert after["Cache-Control"] == before["Cache-Control"]
            assert after.get("Vary") == before.get("Vary")
            assert not after.cookies
        assert b"Sign out" not in signed_in[0].content

    def test_caches_may_ask_with_head_and_browsers_read_the_json(self, client, award, achievement):
        for url in self.urls(award, achievement):
            head = client.head(url, HTTP_ACCEPT="application/ld+json")
            assert head.status_code == 200, url
            assert "public" in head["Cache-Control"]
            assert head["Access-Control-Allow-Origin"] == "*"

    def test_the_max_age_comes_from_the_settings(self, client, award, achievement, settings):
        settings.CREDENTIALS_MAX_AGE = 60

        response = client.get(reverse("ob_issuer"))

        assert "max-age=60" in response["Cache-Control"]


class TestNothingLeaks:
    def test_the_email_appears_on_no_public_page(self, client, award, achievement):
        award.is_public = True
        award.save()

        for accept in ("application/ld+json", BROWSER_ACCEPT):
            for url in (badge_url(award), reverse("badge_class", args=[achievement.public_id])):
                assert b"ada@example.com" not in client.get(url, HTTP_ACCEPT=accept).content

    def test_a_public_page_does_not_list_the_learners_other_awards(self, client, learner, award):
        other = AchievementFactory(name="Secret second badge", threshold=1)
        achievement_backfill(achievement_id=other.pk)
        award.is_public = True
        award.save()

        assert b"Secret second badge" not in client.get(badge_url(award)).content

    @pytest.mark.parametrize(
        "path",
        [
            "/badges/not-a-uuid/",
            "/badges/123/",
            "/badges/6F9619FF-8B86-D011-B42D-00C04FC964FF/",
            "/badges/6f9619ff-8b86-d011-b42d-00c04fc964ff/",  # well formed, unknown
            "/badges/classes/6f9619ff-8b86-d011-b42d-00c04fc964ff/",
            "/certificates/6f9619ff-8b86-d011-b42d-00c04fc964ff/",
            "/certificates/1/",
        ],
    )
    def test_malformed_or_unknown_ids_are_404(self, client, award, path):
        for accept in ("application/ld+json", BROWSER_ACCEPT):
            assert client.get(path, HTTP_ACCEPT=accept).status_code == 404

    def test_a_badge_class_never_awarded_nor_active_is_not_published(self, client):
        draft = AchievementFactory(name="Draft", is_active=False)

        response = client.get(reverse("badge_class", args=[draft.public_id]), **JSONLD)

        assert response.status_code == 404

    def test_a_deactivated_badge_class_still_answers_for_its_awards(self, client, award):
        award.achievement.is_active = False
        award.achievement.save()

        badge_class = get_json(client, get_json(client, badge_url(award))["badge"])

        assert badge_class["name"] == "First steps"

    def test_an_icon_stored_outside_the_choices_shows_the_trophy(self, client, award):
        type(award.achievement).objects.filter(pk=award.achievement.pk).update(icon="nope")

        badge_class = get_json(client, reverse("badge_class", args=[award.achievement.public_id]))

        assert badge_class["image"].endswith("/static/badges/trophy.png")

    def test_a_learner_without_an_address_has_no_assertion_to_verify_yet(
        self, client, learner, award
    ):
        type(learner).objects.filter(pk=learner.pk).update(email="")

        response = client.get(badge_url(award), **JSONLD)

        assert response.status_code == 404
        assert "no-store" in response["Cache-Control"]


def test_every_rule_type_has_criteria_in_words(client, course):
    rules = [
        (Rule.LESSONS_COMPLETED, 10, None, "10 lessons completed in total."),
        (Rule.COURSE_LESSONS_COMPLETED, 3, course, "3 lessons completed in “Intro to Testing”."),
        (Rule.COURSES_COMPLETED, 2, None, "2 courses completed."),
        (Rule.COURSE_COMPLETED, None, course, "“Intro to Testing” completed."),
        (Rule.STREAK_DAYS, 7, None, "Lessons completed on 7 consecutive days."),
    ]
    for rule, threshold, rule_course, narrative in rules:
        achievement = AchievementFactory(rule=rule, threshold=threshold, course=rule_course)
        document = get_json(client, reverse("badge_class", args=[achievement.public_id]))
        assert document["criteria"]["narrative"] == narrative
