"""Helpers shared by the browser tests."""

from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext


def sign_in_context(context: BrowserContext, user, base_url: str) -> None:
    """Give a browser context the session of `user` without going through the form."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": base_url, "httpOnly": True}]
    )
