"""Each award is announced exactly once, whichever device or session of the learner asks."""

import pytest
from django.test import Client
from django.urls import reverse

from achievements.models import Rule
from achievements.services import achievement_awards_revoke, achievement_backfill
from tests.factories import AchievementFactory, LessonCompletionFactory, UserAchievementFactory

TOAST = "Achievement unlocked: "


@pytest.fixture
def other_device(learner):
    client = Client()
    client.force_login(learner)
    return client


def test_the_response_that_unlocks_it_announces_it_and_no_other_does(
    learner_client, other_device, lessons
):
    AchievementFactory(name="First step", rule=Rule.LESSONS_COMPLETED, threshold=1)
    lesson = lessons[0]
    url = reverse("lesson_complete", args=[lesson.course.slug, lesson.slug])

    unlocked = learner_client.post(url, headers={"HX-Request": "true"})

    assert unlocked.text.count(TOAST + "First step") == 1
    for client in (other_device, learner_client, other_device):
        assert TOAST not in client.get(reverse("dashboard")).text


def test_a_backfilled_award_is_announced_on_the_next_page_view_of_one_session_only(
    learner, learner_client, other_device, lessons
):
    LessonCompletionFactory(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(name="Early bird", rule=Rule.LESSONS_COMPLETED, threshold=1)
    achievement_backfill(achievement_id=achievement.pk)

    first = other_device.get(reverse("achievement_list"))
    assert first.text.count(TOAST + "Early bird") == 1
    assert TOAST not in learner_client.get(reverse("dashboard")).text
    assert TOAST not in other_device.get(reverse("dashboard")).text


def test_an_award_revoked_before_it_was_seen_is_never_announced(
    learner, learner_client, admin_user
):
    award = UserAchievementFactory(user=learner)
    achievement_awards_revoke(
        awards=type(award).objects.filter(pk=award.pk), revoked_by=admin_user, reason="Mistake."
    )
    assert TOAST not in learner_client.get(reverse("dashboard")).text


def test_the_achievements_page_shows_streak_progress_and_the_time_zone(learner, learner_client):
    AchievementFactory(name="Week", rule=Rule.STREAK_DAYS, threshold=7)
    page = learner_client.get(reverse("achievement_list")).text
    assert "Locked: 0 / 7 days in a row" in page
    assert "Streaks count days in your time zone, UTC." in page
    assert reverse("learner_profile") in page


def test_an_award_made_while_reading_a_lesson_is_announced_once_by_the_next_page(
    learner, learner_client, lessons, django_assert_max_num_queries
):
    """The completion's fragment shows only what that completion unlocked, without a
    query to ask what else waits: an award made meanwhile (a backfill) is announced by
    the next page the learner opens, and only there."""
    LessonCompletionFactory(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(name="Early bird", rule=Rule.LESSONS_COMPLETED, threshold=1)
    achievement_backfill(achievement_id=achievement.pk)
    htmx = {"HX-Request": "true"}

    with django_assert_max_num_queries(11):  # no claim
        completed = learner_client.post(
            reverse("lesson_complete", args=[lessons[1].course.slug, lessons[1].slug]),
            headers=htmx,
        )
    assert TOAST not in completed.text

    next_page = learner_client.get(lessons[2].get_absolute_url())
    assert next_page.text.count(TOAST + "Early bird") == 1
    assert TOAST not in learner_client.get(lessons[2].get_absolute_url()).text


def test_an_unlock_shown_by_the_completion_is_not_announced_again(
    learner_client, other_device, lessons
):
    AchievementFactory(name="First step", rule=Rule.LESSONS_COMPLETED, threshold=1)
    lesson = lessons[0]

    learner_client.post(
        reverse("lesson_complete", args=[lesson.course.slug, lesson.slug]),
        headers={"HX-Request": "true"},
    )

    assert TOAST not in other_device.get(reverse("dashboard")).text
    assert TOAST not in learner_client.get(lesson.get_absolute_url()).text


def test_without_javascript_the_unlock_is_announced_on_the_page_after_the_redirect(
    learner_client, lessons
):
    AchievementFactory(name="First step", rule=Rule.LESSONS_COMPLETED, threshold=1)
    lesson = lessons[0]

    response = learner_client.post(
        reverse("lesson_complete", args=[lesson.course.slug, lesson.slug]), follow=True
    )

    assert response.text.count(TOAST + "First step") == 1
    assert TOAST not in learner_client.get(lesson.get_absolute_url()).text
