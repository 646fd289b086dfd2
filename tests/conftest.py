import pytest
from django.db import connection

from tests.factories import CourseFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only need row locks and real parallel transactions."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (see README)")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Production hashing is deliberately slow; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def sign_up_unthrottled(settings):
    # Throttle counters outlive a test (they are in a cache); the throttle's own test
    # turns it on with an address of its own.
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def learner(db):
    return UserFactory(username="ada")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def course(db):
    """A published course with four lessons, in order."""
    return CourseFactory(title="Intro to Testing", slug="intro-to-testing", lessons=4)


@pytest.fixture
def lessons(course):
    return list(course.lessons.order_by("position"))


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
