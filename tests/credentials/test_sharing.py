"""Sharing an award's page, and downloading it baked into a PNG for a backpack."""

import io
import json

import pytest
from django.urls import reverse
from openbadges_bakery import unbake

from achievements.models import UserAchievement
from achievements.services import achievement_awards_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sharing(client, award, public: str, **headers):
    return client.post(
        reverse("badge_sharing", args=[award.public_id]), {"public": public}, **headers
    )


def page(client, award):
    return client.get(reverse("badge", args=[award.public_id]))


def is_public(award) -> bool:
    return UserAchievement.objects.values_list("is_public", flat=True).get(pk=award.pk)


class TestSharing:
    def test_an_award_is_private_until_the_learner_shares_it(self, client, learner, award):
        assert page(client, award).status_code == 404

        client.force_login(learner)
        response = sharing(client, award, "1")

        assert response.status_code == 302 and response["Location"] == reverse("achievement_list")
        client.logout()
        shown = page(client, award)
        assert shown.status_code == 200
        assert "First steps" in shown.content.decode()
        assert "Earned by <strong>ada</strong>" in shown.content.decode()  # no name: username

    def test_private_again_is_404_for_everyone_but_the_learner(self, client, learner, award):
        client.force_login(learner)
        sharing(client, award, "1")
        sharing(client, award, "0")

        own = page(client, award)
        assert own.status_code == 200
        assert "Only you can see this page" in own.content.decode()
        assert "no-store" in own["Cache-Control"]

        client.force_login(UserFactory(username="grace"))
        assert page(client, award).status_code == 404
        client.logout()
        refused = page(client, award)
        assert refused.status_code == 404
        assert "no-store" in refused["Cache-Control"]  # no CDN keeps "private" for later

    def test_a_private_award_stays_verifiable_as_an_assertion(self, client, learner, award):
        client.force_login(learner)
        sharing(client, award, "1")
        sharing(client, award, "0")
        client.logout()

        response = client.get(
            reverse("badge", args=[award.public_id]), HTTP_ACCEPT="application/ld+json"
        )

        assert response.status_code == 200
        assert response.json()["type"] == "Assertion"

    def test_the_public_page_shows_name_date_criteria_status_and_previews(
        self, client, learner, award
    ):
        type(learner).objects.filter(pk=learner.pk).update(first_name="Ada", last_name="Lovelace")
        award.is_public = True
        award.save()

        html = page(client, award).content.decode()

        assert "Earned by <strong>Ada Lovelace</strong>" in html
        assert award.unlocked_at.strftime("%B") in html
        assert "1 lesson completed in total." in html
        assert "Verified" in html
        url = f"http://testserver/badges/{award.public_id}/"
        assert f'<meta property="og:url" content="{url}">' in html
        assert (
            '<meta property="og:image" content="http://testserver/static/badges/star.png">' in html
        )
        assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in html
        assert "name=First+steps" in html and "certUrl=http%3A%2F%2Ftestserver%2Fbadges%2F" in html
        assert f"issueYear={award.unlocked_at.year}" in html

    def test_nobody_else_can_share_or_unshare_an_award(self, other_client, award):
        assert sharing(other_client, award, "1").status_code == 404
        assert is_public(award) is False

    def test_sharing_needs_a_signed_in_learner_and_a_post(self, client, learner, award):
        assert sharing(client, award, "1").status_code == 302  # to sign-in
        assert is_public(award) is False
        client.force_login(learner)
        assert client.get(reverse("badge_sharing", args=[award.public_id])).status_code == 405

    @pytest.mark.parametrize("value", ["", "yes", "2", "true"])
    def test_bad_input_is_400_and_changes_nothing(self, client, learner, award, value):
        client.force_login(learner)

        assert sharing(client, award, value).status_code == 400
        assert is_public(award) is False

    def test_with_htmx_the_controls_are_swapped_in_place(self, client, learner, award):
        client.force_login(learner)

        response = sharing(client, award, "1", HTTP_HX_REQUEST="true")

        html = response.content.decode()
        assert response.status_code == 200
        assert html.strip().startswith(f'<div class="share" id="share-{award.public_id}">')
        assert "Make private" in html and f'id="share-button-{award.public_id}"' in html
        assert is_public(award) is True

    def test_the_achievements_page_offers_share_and_download(self, client, learner, award):
        client.force_login(learner)

        html = client.get(reverse("achievement_list")).content.decode()

        assert f'action="{reverse("badge_sharing", args=[award.public_id])}"' in html
        assert reverse("badge_download", args=[award.public_id]) in html
        assert "Private: its page is yours alone." in html
        sharing(client, award, "1")
        html = client.get(reverse("achievement_list")).content.decode()
        assert "Make private" in html and reverse("badge", args=[award.public_id]) in html


class TestBakedBadge:
    def download(self, client, award):
        return client.get(reverse("badge_download", args=[award.public_id]))

    def test_the_png_carries_the_assertion_it_is_served_at(self, client, learner, award):
        client.force_login(learner)

        response = self.download(client, award)

        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'attachment; filename="first-steps.png"'
        baked = json.loads(unbake(io.BytesIO(response.content)))
        served = client.get(baked["id"], HTTP_ACCEPT="application/ld+json").json()
        assert baked == served
        assert baked["id"] == f"http://testserver/badges/{award.public_id}/"

    def test_the_plain_badge_image_carries_nothing(self, client, award):
        with open("static/badges/star.png", "rb") as image:
            assert unbake(image) is None

    def test_only_the_learner_downloads_their_badge(self, other_client, award):
        assert self.download(other_client, award).status_code == 404

    def test_a_revoked_award_is_not_downloaded(self, client, learner, award):
        achievement_awards_revoke(
            awards=UserAchievement.objects.filter(pk=award.pk),
            revoked_by=UserFactory(username="root"),
            reason="In error",
        )
        client.force_login(learner)

        assert self.download(client, award).status_code == 404

    def test_without_an_address_the_learner_gives_one_first(self, client, learner, award):
        type(learner).objects.filter(pk=learner.pk).update(email="")
        client.force_login(learner)
        download_url = reverse("badge_download", args=[award.public_id])

        response = self.download(client, award)
        assert response.status_code == 302
        form_url = response["Location"]
        assert form_url.startswith(reverse("credential_email"))
        assert client.get(form_url).status_code == 200
        refused = client.post(form_url, {"email": "not an address", "next": download_url})
        assert refused.status_code == 400
        assert type(learner).objects.get(pk=learner.pk).email == ""

        saved = client.post(form_url, {"email": "ada@example.org", "next": download_url})

        assert saved["Location"] == download_url
        assert type(learner).objects.get(pk=learner.pk).email == "ada@example.org"
        baked = json.loads(unbake(io.BytesIO(self.download(client, award).content)))
        assert baked["recipient"]["identity"].startswith("sha256$")

    def test_the_form_never_sends_the_learner_to_another_site(self, client, learner):
        client.force_login(learner)

        response = client.post(
            reverse("credential_email"),
            {"email": "ada@example.org", "next": "https://evil.example/"},
        )

        assert response["Location"] == reverse("achievement_list")
