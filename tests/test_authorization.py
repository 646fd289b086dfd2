"""One learner can neither read nor change another's progress or achievements.

Learner A has progress, completions and unlocked achievements; learner B, signed in,
visits and posts to every learner URL. B must see only B's own state, A's rows must not
change, and every refused request must leave the database as it was.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from achievements.models import UserAchievement
from courses.models import LessonCompletion, UserProgress
from courses.services import lesson_complete
from tests.factories import AchievementFactory, CourseFactory, UserFactory

# Tables holding one learner's data: every read of them must name the learner.
LEARNER_TABLES = (
    "courses_lessoncompletion",
    "courses_userprogress",
    "achievements_userachievement",
)


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def alice_progress(alice, course, lessons):
    """Alice completed the first three lessons and unlocked (unannounced) an achievement."""
    AchievementFactory(name="First steps", threshold=1)
    for lesson in lessons[:3]:
        lesson_complete(user=alice, lesson=lesson)
    return alice


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def snapshot() -> dict:
    """Every learner-owned row, to prove a request stored nothing."""
    return {
        "completions": sorted(
            LessonCompletion.objects.values_list("user_id", "lesson_id", "completed_at")
        ),
        "progress": sorted(
            UserProgress.objects.values_list(
                "user_id", "course_id", "current_lesson_id", "completed_at"
            ),
            key=str,
        ),
        "achievements": sorted(
            UserAchievement.objects.values_list("user_id", "achievement_id", "announced_at"),
            key=str,
        ),
    }


def lesson_urls(name: str, lesson) -> str:
    return reverse(name, kwargs={"course_slug": lesson.course.slug, "lesson_slug": lesson.slug})


def unscoped_reads(queries, user_id: int) -> list[str]:
    """SELECTs reading a learner table without a user_id condition for this learner."""
    scoped = re.compile(rf'"user_id" (= {user_id}\b|IN \({user_id}\))')
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and any(table in q["sql"] for table in LEARNER_TABLES)
        and not scoped.search(q["sql"])
    ]


class TestReading:
    def test_dashboard_shows_only_the_signed_in_learners_progress(
        self, bob_client, alice_progress, course
    ):
        response = bob_client.get(reverse("dashboard"))

        assert response.status_code == 200
        assert response.context["in_progress"] == response.context["completed"] == []
        assert [p.course for p in response.context["explore"]] == [course]
        assert response.context["explore"][0].completed_count == 0
        assert response.context["recent_unlocks"] == []

    def test_course_page_shows_only_the_signed_in_learners_progress(
        self, bob_client, alice_progress, course
    ):
        response = bob_client.get(course.get_absolute_url())

        progress = response.context["progress"]
        assert progress.completed_lesson_ids == frozenset()
        assert not progress.is_started
        assert progress.percentage == 0

    def test_lesson_alice_completed_is_not_completed_for_bob(
        self, bob_client, alice_progress, lessons
    ):
        response = bob_client.get(lesson_urls("lesson_detail", lessons[0]))

        assert response.context["is_completed"] is False
        assert response.context["progress"].completed_count == 0

    def test_achievements_page_shows_only_the_signed_in_learners_unlocks(
        self, bob_client, alice_progress
    ):
        response = bob_client.get(reverse("achievement_list"))

        assert response.context["unlocked_count"] == 0
        assert [s.progress.current for s in response.context["statuses"]] == [0]

    def test_bobs_pages_never_claim_alices_announcements(
        self, bob_client, alice_progress, course, lessons
    ):
        """Alice's unlock stays unannounced, for Alice to see, whatever Bob opens."""
        for url in [
            reverse("dashboard"),
            course.get_absolute_url(),
            lesson_urls("lesson_detail", lessons[0]),
            reverse("achievement_list"),
        ]:
            bob_client.get(url)

        unlock = UserAchievement.objects.get(user=alice_progress)
        assert unlock.announced_at is None

    def test_every_read_of_learner_data_is_scoped_to_the_learner(
        self, bob_client, bob, alice_progress, course, lessons
    ):
        with CaptureQueriesContext(connection) as queries:
            bob_client.get(reverse("dashboard"))
            bob_client.get(course.get_absolute_url())
            bob_client.get(lesson_urls("lesson_detail", lessons[0]))
            bob_client.get(reverse("achievement_list"))
            bob_client.post(
                lesson_urls("lesson_complete", lessons[3]), headers={"HX-Request": "true"}
            )
            bob_client.post(lesson_urls("lesson_uncomplete", lessons[3]))

        assert unscoped_reads(queries.captured_queries, bob.pk) == []


class TestWriting:
    def test_completing_a_lesson_alice_completed_touches_only_bobs_rows(
        self, bob_client, bob, alice_progress, lessons
    ):
        alice_before = {
            k: [row for row in v if row[0] == alice_progress.pk] for k, v in snapshot().items()
        }

        response = bob_client.post(
            lesson_urls("lesson_complete", lessons[0]), headers={"HX-Request": "true"}
        )

        assert response.status_code == 200
        alice_after = {
            k: [row for row in v if row[0] == alice_progress.pk] for k, v in snapshot().items()
        }
        assert alice_after == alice_before
        assert list(
            LessonCompletion.objects.filter(user=bob).values_list("lesson_id", flat=True)
        ) == [lessons[0].id]
        assert UserProgress.objects.get(user=bob).current_lesson_id == lessons[1].id

    def test_uncompleting_a_lesson_alice_completed_leaves_hers(
        self, bob_client, alice_progress, lessons
    ):
        before = snapshot()

        response = bob_client.post(lesson_urls("lesson_uncomplete", lessons[0]))

        assert response.status_code == 302
        assert snapshot() == before
        assert LessonCompletion.objects.filter(user=alice_progress, lesson=lessons[0]).exists()


class TestRefused:
    """Each refused request answers with the right status and stores nothing."""

    @pytest.fixture
    def other_course(self, db):
        return CourseFactory(slug="other-course", lessons=2)

    @pytest.fixture
    def draft(self, db):
        return CourseFactory(slug="draft-course", is_published=False, lessons=2)

    def test_admin_refuses_a_learner(self, bob_client, alice_progress):
        before = snapshot()
        progress = UserProgress.objects.get(user=alice_progress)

        for url in [
            reverse("admin:index"),
            reverse("admin:courses_userprogress_changelist"),
            reverse("admin:courses_userprogress_change", args=[progress.pk]),
            reverse("admin:achievements_userachievement_changelist"),
        ]:
            response = bob_client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url
        response = bob_client.post(
            reverse("admin:courses_userprogress_delete", args=[progress.pk]), {"post": "yes"}
        )

        assert response.status_code == 302
        assert snapshot() == before

    def test_unpublished_course_is_not_found(self, bob_client, alice_progress, draft):
        before = snapshot()
        lesson = draft.lessons.first()

        assert bob_client.get(draft.get_absolute_url()).status_code == 404
        assert bob_client.get(lesson_urls("lesson_detail", lesson)).status_code == 404
        assert bob_client.post(lesson_urls("lesson_complete", lesson)).status_code == 404
        assert bob_client.post(lesson_urls("lesson_uncomplete", lesson)).status_code == 404
        assert snapshot() == before

    def test_unknown_slugs_are_not_found(self, bob_client, alice_progress, course, other_course):
        before = snapshot()
        foreign_lesson = other_course.lessons.first()
        under_wrong_course = reverse(
            "lesson_complete",
            kwargs={"course_slug": course.slug, "lesson_slug": foreign_lesson.slug},
        )

        assert bob_client.get("/courses/no-such-course/").status_code == 404
        assert bob_client.get(f"/courses/{course.slug}/no-such-lesson/").status_code == 404
        assert (
            bob_client.post(f"/courses/{course.slug}/no-such-lesson/complete/").status_code == 404
        )
        assert bob_client.post("/courses/no-such-course/x/complete/").status_code == 404
        assert bob_client.post(under_wrong_course).status_code == 404
        assert snapshot() == before

    @pytest.mark.parametrize("name", ["lesson_complete", "lesson_uncomplete"])
    @pytest.mark.parametrize("method", ["get", "put", "delete"])
    def test_write_endpoints_refuse_other_methods(
        self, bob_client, alice_progress, lessons, name, method
    ):
        before = snapshot()

        response = getattr(bob_client, method)(lesson_urls(name, lessons[3]))

        assert response.status_code == 405
        assert snapshot() == before

    @pytest.mark.parametrize("name", ["lesson_complete", "lesson_uncomplete"])
    def test_write_endpoints_refuse_a_post_without_csrf_token(
        self, bob, alice_progress, lessons, name
    ):
        client = Client(enforce_csrf_checks=True)
        client.force_login(bob)
        before = snapshot()

        response = client.post(lesson_urls(name, lessons[0]), headers={"HX-Request": "true"})

        assert response.status_code == 403
        assert snapshot() == before

    @pytest.mark.parametrize("name", ["lesson_complete", "lesson_uncomplete"])
    def test_anonymous_posts_go_to_sign_in(self, client, alice_progress, lessons, name):
        before = snapshot()

        response = client.post(lesson_urls(name, lessons[0]))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert snapshot() == before
