import pytest
from django.urls import reverse

from achievements.models import Rule
from courses.services import lesson_complete
from tests.factories import AchievementFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_achievements_page_shows_unlocked_and_progress_toward_locked(
    learner_client, learner, lessons
):
    AchievementFactory(name="First steps", rule=Rule.LESSONS_COMPLETED, threshold=1)
    AchievementFactory(name="Ten lessons", rule=Rule.LESSONS_COMPLETED, threshold=10)
    AchievementFactory(name="Retired badge", is_active=False)
    for lesson in lessons[:3]:
        lesson_complete(user=learner, lesson=lesson)

    html = learner_client.get(reverse("achievement_list")).content.decode()

    assert "You have unlocked 1 of 2." in html
    first, ten = html.index("First steps"), html.index("Ten lessons")
    assert first < ten  # unlocked ones come first
    assert "Unlocked <time" in html[first:ten]
    assert "Locked: 3 / 10" in html[ten:]
    assert "Retired badge" not in html


def test_achievements_page_is_per_learner(client, learner, lessons):
    AchievementFactory(name="First steps", rule=Rule.LESSONS_COMPLETED, threshold=1)
    lesson_complete(user=learner, lesson=lessons[0])
    client.force_login(UserFactory(username="grace"))

    html = client.get(reverse("achievement_list")).content.decode()

    assert "You have unlocked 0 of 1." in html
    assert "Locked: 0 / 1" in html


def test_achievements_page_counts_streak_days_in_the_learners_time_zone(
    learner_client, learner, lessons
):
    """23:30 and 00:30 in Paris are two days there, one day in UTC (22:30 and 23:30)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.achievements.helpers import complete_at
    from tests.factories import LearnerProfileFactory

    paris = ZoneInfo("Europe/Paris")
    LearnerProfileFactory(user=learner, time_zone="Europe/Paris")
    AchievementFactory(name="Three days", rule=Rule.STREAK_DAYS, threshold=3)
    complete_at(user=learner, lesson=lessons[0], at=datetime(2026, 2, 10, 23, 30, tzinfo=paris))
    complete_at(user=learner, lesson=lessons[1], at=datetime(2026, 2, 11, 0, 30, tzinfo=paris))

    html = learner_client.get(reverse("achievement_list")).text

    assert "Locked: 2 / 3 days in a row" in html
