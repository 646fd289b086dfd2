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
