import secrets

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_returns_to_the_page_asked_for(client, learner, course):
    target = course.get_absolute_url()
    response = client.post(
        reverse("login"), {"username": "ada", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == target


def test_wrong_password_shows_an_error(client, learner):
    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "password didn\u2019t match" in response.content.decode()


def test_sign_up_creates_a_learner_and_signs_them_in(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert get_user_model().objects.filter(username="newbie").exists()


def test_sign_up_with_mismatched_passwords_stores_nothing(client):
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "password1": "a-long-pass-phrase", "password2": "another"},
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_sign_up_ignores_offsite_next(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
            "next": "https://evil.example.com/",
        },
    )
    assert response["Location"] == reverse("dashboard")


def test_sign_out_needs_post(client, learner):
    client.force_login(learner)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def _sign_up(client, username: str, ip: str = "198.51.100.7"):
    return client.post(
        reverse("signup"),
        {
            "username": username,
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        REMOTE_ADDR=ip,
    )


@pytest.mark.parametrize(
    "look_alike",
    [
        "d\u0435mo",  # Cyrillic e
        "\u0501emo",  # Cyrillic komi de
        "Demo",
        "DEMO",
        "dem0",
        "\uff44\uff45\uff4d\uff4f",  # full-width letters, NFKC makes them "demo"
    ],
)
def test_a_username_that_looks_like_an_existing_one_is_refused(client, look_alike):
    get_user_model().objects.create_user("demo", password="x")

    response = _sign_up(client, look_alike)

    assert response.status_code == 400
    assert "username" in response.context["form"].errors
    assert get_user_model().objects.count() == 1


def test_a_username_mixing_look_alike_scripts_is_refused_even_when_new(client):
    response = _sign_up(client, "p\u0430ul")  # Cyrillic a in a Latin name

    assert response.status_code == 400
    assert "one alphabet" in " ".join(response.context["form"].errors["username"])
    assert not get_user_model().objects.exists()


def test_names_in_one_script_other_than_latin_are_welcome(client):
    for name in ("\u0438\u0432\u0430\u043d", "Jos\u00e9", "\u674e\u534e"):  # иван, José, 李华
        assert _sign_up(client, name, ip=f"198.51.100.{len(name)}").status_code == 302
        client.logout()
    assert get_user_model().objects.count() == 3


def test_sign_up_is_throttled_per_client_address(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.SIGNUP_RATE = "3/h"
    ip = f"203.0.113.{secrets.randbelow(250)}"  # counters live in a cache shared by runs

    for n in range(3):
        assert _sign_up(client, f"bulk{n}", ip=ip).status_code == 302
        client.logout()
    refused = _sign_up(client, "bulk3", ip=ip)
    elsewhere = _sign_up(client, "neighbour", ip="192.0.2.1")

    assert refused.status_code == 429
    assert "Too many new accounts" in refused.text
    assert not get_user_model().objects.filter(username="bulk3").exists()
    assert elsewhere.status_code == 302
