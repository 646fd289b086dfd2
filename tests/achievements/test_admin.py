"""The achievement admin: rule editor, validation, award confirmation, manual award, revoke."""

import re

import pytest
from django.urls import reverse

from achievements.icons import Icon
from achievements.models import Achievement, Rule, Trigger, UserAchievement
from achievements.tasks import achievement_backfill_task
from tests.factories import (
    AchievementFactory,
    LessonCompletionFactory,
    UserAchievementFactory,
    UserFactory,
)

ADD_URL = reverse("admin:achievements_achievement_add")


def _change_url(achievement) -> str:
    return reverse("admin:achievements_achievement_change", args=[achievement.pk])


def _data(**overrides) -> dict:
    data = {
        "name": "Getting started",
        "description": "Complete your first lesson.",
        "icon": "star",
        "is_active": "on",
        "rule": Rule.LESSONS_COMPLETED,
        "threshold": "1",
        "course": "",
        "award_confirmation": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _token(response) -> str:
    match = re.search(r'name="award_confirmation" value="([^"]*)"', response.content.decode())
    assert match, "the confirmation page hands back a token"
    return match.group(1)


@pytest.fixture
def two_qualify(lessons):
    users = UserFactory.create_batch(2)
    for user in users:
        LessonCompletionFactory(user=user, lesson=lessons[0])
    return users


def test_the_form_shows_a_rule_select_with_its_fields_and_an_icon_picker(admin_client):
    response = admin_client.get(ADD_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-rule-fields="{&quot;lessons_completed&quot;: [&quot;threshold&quot;]' in html
    assert "&quot;course_completed&quot;: [&quot;course&quot;]" in html
    assert "js/achievement_admin.js" in html
    assert "css/achievement_admin.css" in html
    for icon in Icon.values:  # every icon offered, with its preview
        assert f'value="{icon}"' in html
        assert f"/static/icons/{icon}.svg" in html
    assert 'name="is_active"' in html


def test_every_icon_choice_is_shipped_as_a_static_file(settings):
    for icon in Icon.values:
        assert (settings.BASE_DIR / "static" / "icons" / f"{icon}.svg").is_file()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"threshold": ""}, "threshold", "Enter a count of at least 1 for this rule."),
        ({"threshold": "0"}, "threshold", "Enter a count of at least 1 for this rule."),
        ({"threshold": "-3"}, "threshold", "Ensure this value is greater than or equal to 0."),
        ({"rule": Rule.STREAK_DAYS, "threshold": ""}, "threshold", "at least 1"),
        ({"rule": Rule.COURSE_COMPLETED, "threshold": ""}, "course", "Choose the course"),
        ({"rule": Rule.COURSE_LESSONS_COMPLETED}, "course", "Choose the course"),
        ({"rule": "made_up"}, "rule", "Select a valid choice."),
        ({"icon": "skull"}, "icon", "Select a valid choice."),
    ],
)
def test_invalid_rules_give_field_errors_and_store_nothing(admin_client, overrides, field, message):
    response = admin_client.post(ADD_URL, _data(**overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not Achievement.objects.exists()


def test_fields_the_rule_does_not_use_are_cleared(admin_client, course):
    response = admin_client.post(
        ADD_URL, _data(rule=Rule.COURSE_COMPLETED, threshold="7", course=str(course.pk))
    )
    assert response.status_code == 302
    achievement = Achievement.objects.get()
    assert (achievement.threshold, achievement.course) == (None, course)


def _backfills(callbacks: list) -> list:
    """The backfills among on-commit callbacks (the others invalidate cached pages)."""
    return [c for c in callbacks if getattr(c, "func", None) == achievement_backfill_task.enqueue]


def test_creating_an_achievement_learners_qualify_for_asks_first_then_awards_after_commit(
    admin_client, two_qualify, django_capture_on_commit_callbacks
):
    first = admin_client.post(ADD_URL, _data())

    assert first.status_code == 200
    assert "2 learners already qualify and will receive this achievement" in first.text
    assert "Please correct the error" not in first.text  # a confirmation, not an error
    assert not Achievement.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = admin_client.post(ADD_URL, _data(award_confirmation=_token(first)))

    assert second.status_code == 302
    assert len(_backfills(callbacks)) == 1
    achievement = Achievement.objects.get()
    awards = UserAchievement.objects.filter(achievement=achievement)
    assert {a.user for a in awards} == set(two_qualify)
    assert {a.trigger for a in awards} == {Trigger.BACKFILL}


def test_a_confirmation_is_for_the_rule_it_was_given_for(admin_client, two_qualify):
    token = _token(admin_client.post(ADD_URL, _data()))

    # Same count, other rule (a one-day streak): asked again, with a new token.
    other_rule = admin_client.post(ADD_URL, _data(rule=Rule.STREAK_DAYS, award_confirmation=token))
    assert "2 learners already qualify" in other_rule.text
    assert _token(other_rule) != token
    assert not Achievement.objects.exists()

    # Same rule, other wording: the confirmation still holds.
    assert (
        admin_client.post(ADD_URL, _data(name="Other", award_confirmation=token)).status_code == 302
    )


def test_nobody_qualifying_saves_without_confirmation(
    admin_client, two_qualify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(ADD_URL, _data(threshold="5"))
    assert response.status_code == 302
    assert not UserAchievement.objects.exists()


def test_activating_asks_and_awards_only_those_who_never_held_it(
    admin_client, two_qualify, django_capture_on_commit_callbacks
):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1, is_active=False)
    UserAchievementFactory(user=two_qualify[0], achievement=achievement)
    data = _data(name=achievement.name, description=achievement.description)

    first = admin_client.post(_change_url(achievement), data)
    assert "1 learner already qualifies" in first.text
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_change_url(achievement), {**data, "award_confirmation": _token(first)})

    assert UserAchievement.objects.filter(achievement=achievement).count() == 2
    achievement.refresh_from_db()
    assert achievement.is_active


def test_changing_the_rule_asks_and_awards(
    admin_client, lessons, django_capture_on_commit_callbacks
):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=2)
    learner = UserFactory()
    LessonCompletionFactory(user=learner, lesson=lessons[0])
    data = _data(name=achievement.name, description=achievement.description, threshold="1")

    first = admin_client.post(_change_url(achievement), data)
    assert "1 learner already qualifies" in first.text
    achievement.refresh_from_db()
    assert achievement.threshold == 2  # not saved yet

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_change_url(achievement), {**data, "award_confirmation": _token(first)})
    assert UserAchievement.objects.get().user == learner


def test_editing_only_the_text_or_deactivating_awards_nobody(
    admin_client, two_qualify, django_capture_on_commit_callbacks
):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1, is_active=False)
    data = _data(name="Renamed", description="New words", is_active=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(_change_url(achievement), data)
    assert response.status_code == 302
    assert _backfills(callbacks) == []
    assert not UserAchievement.objects.exists()


def test_admin_action_confirms_with_counts_then_backfills(
    admin_client, two_qualify, django_capture_on_commit_callbacks
):
    achievement = AchievementFactory(name="Starter", rule=Rule.LESSONS_COMPLETED, threshold=1)
    inactive = AchievementFactory(name="Retired", is_active=False)
    changelist = reverse("admin:achievements_achievement_changelist")
    selection = {"action": "award_to_qualifying", "_selected_action": [achievement.pk, inactive.pk]}

    page = admin_client.post(changelist, selection)
    assert page.status_code == 200
    assert '<td class="award-count">2</td>' in page.text
    assert "Inactive, so not awarded: Retired" in page.text
    assert not UserAchievement.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(changelist, {**selection, "confirm": "yes"})
    assert done.status_code == 302
    assert UserAchievement.objects.filter(achievement=achievement).count() == 2
    assert not UserAchievement.objects.filter(achievement=inactive).exists()


def test_manual_award_from_the_admin_is_recorded(admin_client, admin_user, learner):
    achievement = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=99)
    url = reverse("admin:achievements_userachievement_add")
    data = {"user": learner.pk, "achievement": achievement.pk, "reason": "Won the hackathon."}

    assert (
        "reason" in admin_client.post(url, {**data, "reason": ""}).context["adminform"].form.errors
    )
    response = admin_client.post(url, data)

    assert response.status_code == 302
    award = UserAchievement.objects.get()
    assert (award.trigger, award.awarded_by, award.reason) == (
        Trigger.MANUAL,
        admin_user,
        "Won the hackathon.",
    )
    again = admin_client.post(url, data)
    assert "already has this achievement" in again.text
    assert UserAchievement.objects.count() == 1


def test_revoke_from_the_admin_asks_why_and_keeps_the_record(admin_client, admin_user):
    award = UserAchievementFactory()
    changelist = reverse("admin:achievements_userachievement_changelist")
    selection = {"action": "revoke_awards", "_selected_action": [award.pk]}

    ask = admin_client.post(changelist, selection)
    assert ask.status_code == 200
    assert "Why?" in ask.text
    # It names what will be revoked and posts back to the same action.
    assert f"{award.user}: {award.achievement}" in ask.text
    assert 'name="action" value="revoke_awards"' in ask.text
    blank = admin_client.post(changelist, {**selection, "reason": ""})
    assert blank.status_code == 200
    award.refresh_from_db()
    assert award.revoked_at is None

    admin_client.post(changelist, {**selection, "reason": "Shared account."})

    award.refresh_from_db()
    assert (award.revoked_by, award.revoke_reason) == (admin_user, "Shared account.")
    assert award.revoked_at is not None
    view = admin_client.get(reverse("admin:achievements_userachievement_change", args=[award.pk]))
    assert view.status_code == 200
    assert "Shared account." in view.text


@pytest.mark.parametrize(
    "url",
    [
        "admin:achievements_achievement_changelist",
        "admin:achievements_userachievement_changelist",
        "admin:achievements_userachievement_add",
        "admin:accounts_learnerprofile_changelist",
    ],
)
def test_admin_pages_render(admin_client, url, course):
    AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=course)
    UserAchievementFactory()
    response = admin_client.get(reverse(url))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("rule", "threshold", "message"),
    [
        (Rule.STREAK_DAYS, "3661", "at most 3660"),
        (Rule.STREAK_DAYS, "1000000", "at most 3660"),
        (Rule.LESSONS_COMPLETED, "100001", "less than or equal to 100000"),
        (Rule.COURSES_COMPLETED, "2147483647", "less than or equal to 100000"),
    ],
)
def test_rule_counts_have_an_upper_bound(admin_client, rule, threshold, message):
    response = admin_client.post(ADD_URL, _data(rule=rule, threshold=threshold))

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["threshold"])
    assert not Achievement.objects.exists()
