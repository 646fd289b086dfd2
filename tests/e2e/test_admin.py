"""The achievement rule editor in a real browser: the fields follow the rule type."""

import pytest
from playwright.sync_api import expect

from achievements.models import Achievement, UserAchievement
from courses.services import lesson_complete
from tests.e2e.helpers import sign_in_context
from tests.factories import CourseFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rule_editor_shows_only_the_fields_a_rule_needs_then_confirms_and_awards(
    new_context, live_server, learner_user
):
    course = CourseFactory(title="Intro to Testing", lessons=2)
    lesson_complete(user=learner_user, lesson=course.lessons.order_by("position").first())
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    context = new_context()
    sign_in_context(context, admin, live_server.url)
    page = context.new_page()
    page.goto(live_server.url + "/admin/achievements/achievement/add/")

    threshold = page.locator(".form-row.field-threshold")
    course_row = page.locator(".form-row.field-course")
    rule = page.get_by_label("Rule:")
    expect(threshold).to_be_visible()
    expect(course_row).to_be_hidden()
    rule.select_option("course_completed")
    expect(threshold).to_be_hidden()
    expect(course_row).to_be_visible()
    rule.select_option("streak_days")
    expect(threshold).to_be_visible()
    expect(course_row).to_be_hidden()

    rule.select_option("lessons_completed")
    page.get_by_label("Name:").fill("First steps")
    page.get_by_label("Description:").fill("Complete your first lesson.")
    page.get_by_label("Threshold:").fill("1")
    page.locator("input[name=_save]").click()

    # Nothing is saved until the admin has seen how many learners it will reach.
    expect(page.get_by_role("alert")).to_contain_text("1 learner already qualifies")
    assert not Achievement.objects.exists()
    page.locator("input[name=_save]").click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    achievement = Achievement.objects.get(name="First steps")
    assert UserAchievement.objects.filter(user=learner_user, achievement=achievement).exists()
