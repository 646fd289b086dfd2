"""The learner's profile page: the time zone streaks are counted in."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import LearnerProfile
from tests.factories import LearnerProfileFactory

URL = reverse("learner_profile")


def test_login_required(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_defaults_to_the_site_time_zone(learner_client, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    page = learner_client.get(URL)
    assert page.status_code == 200
    assert '<option value="Europe/Berlin" selected>' in page.text
    assert 'class="auth-card"' in page.text


def test_saving_redirects_with_a_message(learner, learner_client):
    response = learner_client.post(URL, {"time_zone": "Asia/Kolkata"})

    assert response.status_code == 302
    assert response.url == URL
    assert LearnerProfile.objects.get(user=learner).time_zone == "Asia/Kolkata"
    assert "Asia/Kolkata" in str(next(iter(get_messages(response.wsgi_request))))
    assert '<option value="Asia/Kolkata" selected>' in learner_client.get(URL).text


def test_changing_it_again_updates_the_same_profile(learner, learner_client):
    LearnerProfileFactory(user=learner, time_zone="Europe/Paris")
    learner_client.post(URL, {"time_zone": "America/Chicago"})
    assert LearnerProfile.objects.get(user=learner).time_zone == "America/Chicago"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "localtime", "Factory", "US/Eastern", ""])
def test_an_unknown_time_zone_is_refused_and_nothing_saved(learner, learner_client, zone):
    LearnerProfileFactory(user=learner, time_zone="Europe/Paris")
    response = learner_client.post(URL, {"time_zone": zone})
    assert response.status_code == 400
    assert "field__error" in response.text
    assert LearnerProfile.objects.get(user=learner).time_zone == "Europe/Paris"


def test_only_real_places_are_offered(learner_client):
    page = learner_client.get(URL).text
    offered = set(re.findall(r'<option value="([^"]*)"', page))
    assert {
        "Europe/Paris",
        "America/Argentina/Buenos_Aires",
        "Pacific/Kiritimati",
        "UTC",
    } <= offered
    assert not offered & {"localtime", "Factory", "posixrules", "US/Eastern", "Etc/GMT+3", "Cuba"}


def test_the_model_validates_time_zones_too(learner):
    with pytest.raises(ValidationError) as error:
        LearnerProfile(user=learner, time_zone="Nowhere/Land").full_clean()
    assert "time_zone" in error.value.message_dict
