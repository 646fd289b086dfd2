"""A session that cannot be saved because the database went away is a server error."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_a_connection_lost_while_saving_the_session_is_a_500_not_session_deleted(learner):
    """The tester killed the database connection mid-save and got 400 "session deleted"."""
    client = Client(raise_request_exception=False)
    client.force_login(learner)

    def die_before_the_session_update(execute, sql, params, many, context):
        if sql.startswith('UPDATE "django_session"'):
            with connection.cursor() as cursor:  # the connection terminates itself, really
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(die_before_the_session_update):
        response = client.post(reverse("learner_profile"), {"time_zone": "Europe/Paris"})

    assert response.status_code == 500
