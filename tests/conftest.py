import pytest
from django.core.cache import cache
from django.db import connection

from progress_site.compiled import prepare_every_statement
from progress_site.learner_cache import CONTENT_KEY
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
def fresh_page_cache():
    """Each test starts with no cached page reachable (ids are reused between tests).

    Dropping the content token does it without flushing a cache someone else may share.
    """
    cache.delete(CONTENT_KEY)


def _on_a_warm_connection(assert_queries):
    """Query budgets are per request on a warm connection. On PostgreSQL a connection
    prepares the hot statements the first time it needs one (progress_site/compiled.py),
    once in its life; that happens before counting starts."""

    def counting(*args, **kwargs):
        prepare_every_statement()
        return assert_queries(*args, **kwargs)

    return counting


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    return _on_a_warm_connection(django_assert_num_queries)


@pytest.fixture
def django_assert_max_num_queries(django_assert_max_num_queries):
    return _on_a_warm_connection(django_assert_max_num_queries)


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
