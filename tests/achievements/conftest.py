import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factories hash a password per learner; the default hasher makes that the slow part."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
