import pytest

from achievements.models import UserAchievement
from courses.services import lesson_complete
from tests.factories import AchievementFactory, UserFactory


@pytest.fixture
def achievement(db):
    return AchievementFactory(
        name="First steps", description="Complete your first lesson.", icon="star", threshold=1
    )


@pytest.fixture
def award(learner, achievement, lessons) -> UserAchievement:
    """Ada's award of "First steps", made by her first completion, as every award is."""
    lesson_complete(user=learner, lesson=lessons[0])
    return UserAchievement.objects.select_related("achievement", "user").get(user=learner)


@pytest.fixture
def other_client(client, db):
    """Signed in as someone else than the learner."""
    client.force_login(UserFactory(username="grace"))
    return client
