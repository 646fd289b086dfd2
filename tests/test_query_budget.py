"""Query budgets of the hot paths the benchmark measures (docs/performance.md).

Counts, never timings: a count is exact on any machine, and each statement costs about
a millisecond of CPU on the benchmark machine, so a count that grows is a slower page.
"""

import pytest
from django.urls import reverse

from tests.factories import AchievementFactory


def complete_url(lesson) -> str:
    return reverse(
        "lesson_complete", kwargs={"course_slug": lesson.course.slug, "lesson_slug": lesson.slug}
    )


def test_session_ping_reads_only_the_session_and_the_user(
    learner_client, django_assert_num_queries
):
    with django_assert_num_queries(2):
        learner_client.get(reverse("session_ping"))


@pytest.mark.django_db
def test_htmx_completion_draws_the_fragment_without_reading_the_course_again(
    learner_client, lessons, django_assert_num_queries
):
    """Session, user, lesson; the locked transaction from BEGIN to COMMIT (the lock;
    lessons with the learner's completions; the learner's progress rows; insert,
    update; one query judging every achievement). The fragment reuses the lessons and
    progress the service read under its lock, and shows only what it unlocked: no claim.
    """
    AchievementFactory(threshold=10)  # not reached: the rules are checked, nothing unlocked
    learner_client.post(complete_url(lessons[0]), headers={"HX-Request": "true"})

    with django_assert_num_queries(11):
        response = learner_client.post(complete_url(lessons[1]), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.context["progress"].completed_count == 2
