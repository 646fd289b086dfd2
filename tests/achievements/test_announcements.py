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


def test_an_award_made_while_reading_a_lesson_is_announced_by_the_next_completion(
    learner, learner_client, lessons, django_assert_max_num_queries
):
    """The completion's fragment shows what waits to be announced; with nothing waiting
    it claims nothing (one existence check, no transaction)."""
    LessonCompletionFactory(user=learner, lesson=lessons[0])
    achievement = AchievementFactory(name="Early bird", rule=Rule.LESSONS_COMPLETED, threshold=1)
    achievement_backfill(achievement_id=achievement.pk)
    htmx = {"HX-Request": "true"}

    first = learner_client.post(
        reverse("lesson_complete", args=[lessons[1].course.slug, lessons[1].slug]), headers=htmx
    )
    assert first.text.count(TOAST + "Early bird") == 1

    with django_assert_max_num_queries(12):  # the existence check, no claim
        second = learner_client.post(
            reverse("lesson_complete", args=[lessons[2].course.slug, lessons[2].slug]),
            headers=htmx,
        )
    assert TOAST not in second.text
