"""Public credential pages run a fixed number of queries, whatever the number of awards,
certificates, revocations and learners; a completion that issues a certificate stays
within the completion's budget plus a fixed few."""

import pytest
from django.urls import reverse

from achievements.models import UserAchievement
from achievements.services import achievement_awards_revoke, achievement_backfill
from courses.services import lesson_complete
from credentials.models import Certificate
from credentials.services import certificates_issue
from tests.courses.test_query_counts import COMPLETION_QUERIES
from tests.credentials.helpers import complete_course
from tests.factories import AchievementFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

SIZES = [pytest.param(2, id="small"), pytest.param(12, id="large")]
# The credential's one query; the revocation list's one; a badge class's one.
PUBLIC_QUERIES = 1
# The learner's lock (a locked read of their row and its new page token), who is
# complete without a certificate, the insert, and the savepoint pair around them.
ISSUE_QUERIES = 6


def build_world(size: int):
    """`size` learners who completed `size` courses, each award revoked for half of them."""
    admin = UserFactory(username="root", is_staff=True)
    achievements = [AchievementFactory(threshold=1) for _ in range(size)]
    courses = [CourseFactory(lessons=2) for _ in range(size)]
    learners = [UserFactory() for _ in range(size)]
    for user in learners:
        for course in courses:
            complete_course(user, list(course.lessons.order_by("position")))
    for achievement in achievements:
        achievement_backfill(achievement_id=achievement.pk)
    for course in courses:
        certificates_issue(course_id=course.pk)
    half = UserAchievement.objects.filter(user__in=learners[: size // 2])
    achievement_awards_revoke(awards=half, revoked_by=admin, reason="In error")
    UserAchievement.objects.update(is_public=True)
    return UserAchievement.objects.filter(revoked_at=None).first(), half.first()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("accept", ["application/ld+json", "text/html"])
def test_public_pages_run_one_query(client, size, accept, django_assert_num_queries):
    award, revoked = build_world(size)
    certificate = Certificate.objects.first()
    urls = [
        reverse("badge", args=[award.public_id]),
        reverse("badge", args=[revoked.public_id]),
        reverse("badge_class", args=[award.achievement.public_id]),
        reverse("certificate", args=[certificate.public_id]),
        reverse("ob_revocation_list"),
    ]
    for url in urls:
        with django_assert_num_queries(PUBLIC_QUERIES):
            response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code in (200, 410), url
    with django_assert_num_queries(0):
        client.get(reverse("ob_issuer"))


@pytest.mark.parametrize("size", SIZES)
def test_a_completion_that_issues_a_certificate_stays_within_budget(
    size, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    build_world(size)
    course = CourseFactory(lessons=2)
    learner = UserFactory()
    first, last = course.lessons.select_related("course").order_by("position")
    lesson_complete(user=learner, lesson=first)

    with (
        django_assert_max_num_queries(COMPLETION_QUERIES + ISSUE_QUERIES),
        django_capture_on_commit_callbacks(execute=True),
    ):
        lesson_complete(user=learner, lesson=last)

    assert Certificate.objects.filter(user=learner, course=course).exists()
