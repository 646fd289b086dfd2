"""Sign-in throttling, the production settings, and the headers every page carries."""

import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def ada(db):
    return UserFactory(username="ada")


def sign_in(client, username: str, password: str, ip: str = "203.0.113.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


class TestSignInThrottling:
    def test_a_correct_password_signs_in(self, client, ada):
        response = sign_in(client, "ada", PASSWORD)

        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard")

    def test_failures_below_the_limit_still_let_the_learner_in(self, client, ada):
        for _ in range(LIMIT - 1):
            assert sign_in(client, "ada", "wrong").status_code == 200

        assert sign_in(client, "ada", PASSWORD).status_code == 302

    def test_repeated_failures_for_one_account_lock_it_from_any_address(self, client, ada):
        for attempt in range(LIMIT):
            sign_in(client, "ada", f"guess {attempt}", ip=f"198.51.100.{attempt}")

        response = sign_in(client, "ada", PASSWORD, ip="192.0.2.200")

        assert response.status_code == 429
        assert b"Too many sign-in attempts" in response.content
        assert "_auth_user_id" not in client.session

    def test_repeated_failures_from_one_address_lock_it_for_every_account(self, client, ada):
        for attempt in range(LIMIT):
            sign_in(client, f"someone{attempt}", "wrong", ip="203.0.113.9")

        assert sign_in(client, "ada", PASSWORD, ip="203.0.113.9").status_code == 429
        assert sign_in(client, "ada", PASSWORD, ip="203.0.113.10").status_code == 302

    def test_behind_a_proxy_the_address_comes_from_the_proxys_header(self, client, ada, settings):
        settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
        proxy = "192.0.2.1"  # every request arrives from the proxy
        for attempt in range(LIMIT):
            client.post(
                reverse("login"),
                {"username": f"someone{attempt}", "password": "wrong"},
                REMOTE_ADDR=proxy,
                HTTP_X_REAL_IP="203.0.113.9",
            )

        def ada_signs_in_from(address: str) -> int:
            client.logout()
            return client.post(
                reverse("login"),
                {"username": "ada", "password": PASSWORD},
                REMOTE_ADDR=proxy,
                HTTP_X_REAL_IP=address,
            ).status_code

        assert ada_signs_in_from("203.0.113.10") == 302
        assert ada_signs_in_from("203.0.113.9") == 429

    def test_the_lock_lifts_after_the_cool_off(self, client, ada):
        for _ in range(LIMIT):
            sign_in(client, "ada", "wrong")
        assert sign_in(client, "ada", PASSWORD).status_code == 429

        past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
        AccessAttempt.objects.update(attempt_time=past)

        assert sign_in(client, "ada", PASSWORD).status_code == 302

    def test_the_lock_holds_for_fifteen_minutes_by_default(self, client, ada):
        for _ in range(LIMIT):
            sign_in(client, "ada", "wrong")

        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
        assert sign_in(client, "ada", PASSWORD).status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
        assert sign_in(client, "ada", PASSWORD).status_code == 302

    def test_sign_in_without_a_request_is_not_throttled(self, client, ada):
        """The test client's login() and server-side code have no client to count."""
        for _ in range(LIMIT):
            assert authenticate(username="ada", password="wrong") is None

        assert authenticate(username="ada", password=PASSWORD) == ada
        assert client.login(username="ada", password=PASSWORD)

    def test_signed_in_learners_are_not_affected(self, client, ada, learner):
        """Throttling is about sign-in only: force_login sessions keep working."""
        client.force_login(learner)
        for _ in range(LIMIT):
            sign_in(client, "ada", "wrong", ip="127.0.0.1")

        assert client.get(reverse("dashboard")).status_code == 200


class TestPageHeaders:
    def test_pages_carry_a_strict_content_security_policy_with_a_nonce(self, learner_client):
        response = learner_client.get(reverse("dashboard"))

        policy = response["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"

    def test_session_cookie_is_http_only_and_same_site(self, client, ada):
        response = sign_in(client, "ada", PASSWORD)

        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"

    def test_session_ping_answers_signed_in_learners_only(self, client, learner):
        url = reverse("session_ping")
        assert client.get(url).status_code == 302

        client.force_login(learner)
        assert client.get(url).status_code == 204


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter, so settings are read from this environment."""
    # Nothing of this process's own configuration leaks in (the browser tests, for
    # one, allow async-unsafe calls, which the deploy checks rightly refuse).
    inherited = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "example.com",
}
SHOW_SECURITY = (
    "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
    "s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[-1])"
)


class TestProductionSettings:
    def test_deploy_checks_pass_with_the_production_environment(self):
        result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

        assert result.returncode == 0, result.stderr

    def test_https_settings_switch_on_when_debug_is_off(self):
        result = run_manage("shell", "--no-imports", "-c", SHOW_SECURITY, **PRODUCTION)

        assert result.stdout.split() == [
            "False",
            "True",
            "True",
            "True",
            "31536000",
            "CompressedManifestStaticFilesStorage",
        ]

    def test_development_keeps_plain_http(self):
        result = run_manage("shell", "--no-imports", "-c", SHOW_SECURITY)

        assert result.stdout.split() == [
            "True",
            "False",
            "False",
            "False",
            "0",
            "StaticFilesStorage",
        ]

    def test_production_refuses_to_start_without_a_secret_key(self):
        result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="example.com")

        assert result.returncode != 0
        assert "Set SECRET_KEY when DEBUG is off" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["dashboard", "achievement_list", "learner_profile"])
def test_signed_in_pages_are_never_kept_by_a_shared_cache(learner_client, url_name):
    response = learner_client.get(reverse(url_name))

    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


@pytest.mark.django_db
def test_a_signed_in_htmx_fragment_is_private_too(learner_client, lessons):
    lesson = lessons[0]
    response = learner_client.post(
        reverse("lesson_complete", args=[lesson.course.slug, lesson.slug]),
        headers={"HX-Request": "true"},
    )
    assert "no-store" in response["Cache-Control"]
