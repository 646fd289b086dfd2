"""Cached learner pages (courses/page_cache.py): fast, and never stale.

Each test first has a page cached, then changes something the page shows, the way a
learner or an admin changes it, and checks the next load shows the change.
"""

import logging
import math
import re
import secrets
import sys
import threading
import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from achievements.models import Rule, UserAchievement
from achievements.services import (
    achievement_award_manual,
    achievement_awards_revoke,
    achievement_backfill,
)
from courses.models import Lesson
from courses.services import lesson_complete
from tests.factories import AchievementFactory, LessonCompletionFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
HTMX = {"HX-Request": "true"}


def course_url(course) -> str:
    return reverse("course_detail", args=[course.slug])


def complete_url(lesson) -> str:
    return reverse("lesson_complete", args=[lesson.course.slug, lesson.slug])


def uncomplete_url(lesson) -> str:
    return reverse("lesson_uncomplete", args=[lesson.course.slug, lesson.slug])


def progress_now(html: str) -> list[int]:
    bars = re.findall(r'role="progressbar"[^>]*?aria-valuenow="(\d+)"', html, flags=re.S)
    return [int(value) for value in bars]


def main_of(html: str) -> str:
    return re.search(r"<main.*</main>", html, flags=re.S).group(0)


def test_a_cached_page_is_served_without_reading_progress(
    learner_client, lessons, django_assert_num_queries
):
    for url in (DASHBOARD, course_url(lessons[0].course)):
        first = learner_client.get(url)
        # The session and the user, as every request; the learner's and content's tokens.
        with django_assert_num_queries(3):
            again = learner_client.get(url)
        assert again.status_code == 200
        assert main_of(again.text) == main_of(first.text)


def test_completing_and_undoing_show_on_the_cached_pages(learner_client, lessons):
    course = lessons[0].course
    learner_client.post(complete_url(lessons[0]))
    assert progress_now(learner_client.get(DASHBOARD).text) == [25]
    assert progress_now(learner_client.get(course_url(course)).text) == [25]

    learner_client.post(complete_url(lessons[1]), headers=HTMX)
    assert progress_now(learner_client.get(DASHBOARD).text) == [50]
    assert progress_now(learner_client.get(course_url(course)).text) == [50]

    learner_client.post(uncomplete_url(lessons[0]), headers=HTMX)
    assert progress_now(learner_client.get(DASHBOARD).text) == [25]
    assert progress_now(learner_client.get(course_url(course)).text) == [25]


def test_each_learner_gets_their_own_page(client, learner, lessons):
    other = UserFactory()
    lesson_complete(user=other, lesson=lessons[0])
    lesson_complete(user=other, lesson=lessons[1])
    lesson_complete(user=learner, lesson=lessons[0])
    for url in (DASHBOARD, course_url(lessons[0].course)):
        client.force_login(other)
        assert "2 of 4 lessons" in client.get(url).text
        client.force_login(learner)
        assert "1 of 4 lessons" in client.get(url).text


def test_two_sessions_of_one_learner_share_the_page_but_not_its_token_or_nonce(
    client, learner, course
):
    second = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    second.force_login(learner)
    first = client.get(DASHBOARD)  # cached by the first session
    response = second.get(DASHBOARD)

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert set(re.findall(r'nonce="([^"]+)"', response.text)) == {nonce}
    first_nonce = re.search(r"'nonce-([^']+)'", first["Content-Security-Policy"]).group(1)
    assert first_nonce not in response.text
    # Every CSRF token on the page is the second session's own: each one is accepted.
    tokens = set(re.findall(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])", response.text))
    assert tokens
    lesson = course.lessons.order_by("position").first()
    for token in tokens:
        posted = second.post(complete_url(lesson), headers={**HTMX, "X-CSRFToken": token})
        assert posted.status_code == 200  # the second session's own token, not the first's


def test_content_edits_show_on_every_learners_cached_pages(learner_client, course, lessons):
    learner_client.get(DASHBOARD)
    learner_client.get(course_url(course))

    course.title = "Testing, Revised"
    course.save()
    Lesson.objects.create(course=course, title="A new lesson", slug="new", position=5)
    assert "Testing, Revised" in learner_client.get(DASHBOARD).text
    page = learner_client.get(course_url(course)).text
    assert "A new lesson" in page
    assert "<title>Testing, Revised" in page

    course.is_published = False
    course.save()
    assert learner_client.get(course_url(course)).status_code == 404
    assert "Testing, Revised" not in learner_client.get(DASHBOARD).text


def test_naming_and_unnaming_an_instructor_shows_on_their_cached_pages(
    learner_client, learner, course, lessons
):
    """The insights link is cached with the page; instructors are named without saving
    the course (the shell, the other side of the relation), and the pages still follow."""
    insights = f'href="{reverse("insights:overview")}"'
    for url in (DASHBOARD, course_url(course)):
        assert insights not in learner_client.get(url).text

    learner.courses_taught.add(course)
    for url in (DASHBOARD, course_url(course)):
        assert insights in learner_client.get(url).text, url

    course.instructors.clear()
    for url in (DASHBOARD, course_url(course)):
        assert insights not in learner_client.get(url).text, url


def test_awards_revocations_and_renames_show_on_the_cached_dashboard(
    learner_client, learner, lessons, admin_user
):
    achievement = AchievementFactory(name="Night Owl", rule=Rule.LESSONS_COMPLETED, threshold=50)
    assert "Night Owl" not in learner_client.get(DASHBOARD).text

    achievement_award_manual(
        user=learner, achievement=achievement, awarded_by=admin_user, reason="Helped out"
    )
    page = learner_client.get(DASHBOARD).text
    assert page.count("Night Owl") == 2  # in the recent achievements, and as a toast

    achievement.name = "Early Bird"
    achievement.save()
    assert "Early Bird" in learner_client.get(DASHBOARD).text

    achievement_awards_revoke(
        awards=UserAchievement.objects.all(), revoked_by=admin_user, reason="Given by mistake"
    )
    assert "Early Bird" not in learner_client.get(DASHBOARD).text


def test_a_backfilled_award_shows_and_is_announced_once(learner_client, learner, lessons):
    LessonCompletionFactory(user=learner, lesson=lessons[0])
    learner_client.get(DASHBOARD)  # cached, and "nothing to announce" remembered
    achievement = AchievementFactory(name="First Steps", rule=Rule.LESSONS_COMPLETED, threshold=1)

    assert achievement_backfill(achievement_id=achievement.pk) == 1
    assert learner_client.get(DASHBOARD).text.count("First Steps") == 2  # badge and toast
    assert learner_client.get(DASHBOARD).text.count("First Steps") == 1  # badge only


def test_an_unlock_during_a_completion_is_announced_in_its_response(learner_client, lessons):
    AchievementFactory(name="First Steps", rule=Rule.LESSONS_COMPLETED, threshold=1)
    learner_client.get(lessons[0].get_absolute_url())  # "nothing to announce" remembered

    response = learner_client.post(complete_url(lessons[0]), headers=HTMX)
    assert "First Steps" in response.text


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_page_read_while_a_completion_commits_is_not_cached_stale(client, learner, lessons):
    """The page is read after the completion replaced the learner's token but before
    it committed: it shows the old state, cached under the new token. The token is
    replaced again after the commit, so the next load shows the completion.
    """
    client.force_login(learner)
    written, go_on = threading.Event(), threading.Event()

    def complete_and_wait() -> None:
        from django.db import connection

        try:
            with transaction.atomic():
                lesson_complete(user=learner, lesson=lessons[0])
                written.set()
                go_on.wait(timeout=10)
        finally:
            connection.close()

    writer = threading.Thread(target=complete_and_wait)
    writer.start()
    assert written.wait(timeout=10)
    assert progress_now(client.get(DASHBOARD).text) == [0], "not committed yet: not started"
    go_on.set()
    writer.join(timeout=10)

    assert progress_now(client.get(DASHBOARD).text) == [25]
    assert progress_now(client.get(course_url(lessons[0].course)).text) == [25]


def test_without_the_cache_pages_render_and_completions_are_kept(
    settings, learner_client, lessons, caplog
):
    """A Redis that refuses connections (nothing listens on port 1): every page still
    renders from the database, and completions go through."""
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    response = learner_client.post(complete_url(lessons[0]), headers=HTMX)
    assert response.status_code == 200
    assert progress_now(learner_client.get(DASHBOARD).text) == [25]
    assert progress_now(learner_client.get(course_url(lessons[0].course)).text) == [25]
    assert learner_client.get(lessons[1].get_absolute_url()).status_code == 200
    assert "Exception ignored" in caplog.text


def test_an_admin_deleting_a_learners_completion_shows_on_their_cached_pages(
    learner_client, learner, lessons, admin_client
):
    lesson_complete(user=learner, lesson=lessons[0])
    lesson_complete(user=learner, lesson=lessons[1])
    assert progress_now(learner_client.get(DASHBOARD).text) == [50]

    completion = learner.lesson_completions.get(lesson=lessons[1])
    response = admin_client.post(
        reverse("admin:courses_lessoncompletion_changelist"),
        {"action": "delete_selected", "_selected_action": [completion.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert progress_now(learner_client.get(DASHBOARD).text) == [25]
    assert progress_now(learner_client.get(course_url(lessons[0].course)).text) == [25]


def test_a_new_release_does_not_serve_pages_the_old_one_rendered(learner_client, course, settings):
    assert "Intro to Testing" in learner_client.get(DASHBOARD).text
    # An edit that sends no signal, so the page cached above stays reachable...
    type(course).objects.filter(pk=course.pk).update(title="Testing, Revised")
    assert "Intro to Testing" in learner_client.get(DASHBOARD).text

    # ...until other code serves it: that release renders its own.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": "progress:next-release"}
    }
    assert "Testing, Revised" in learner_client.get(DASHBOARD).text


def test_a_new_learner_given_a_deleted_learners_id_does_not_see_their_pages(
    client, learner, lessons
):
    lesson_complete(user=learner, lesson=lessons[0])
    client.force_login(learner)
    assert progress_now(client.get(DASHBOARD).text) == [25]
    old_id = learner.pk
    learner.delete()

    newcomer = UserFactory(pk=old_id, username="newcomer")  # as SQLite may hand it out
    client.force_login(newcomer)
    assert progress_now(client.get(DASHBOARD).text) == [0]  # the course's card, not started
    assert "newcomer" in client.get(DASHBOARD).text


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_page_read_while_a_content_edit_commits_is_not_cached_stale(client, learner, course):
    """An admin renames the course and adds a lesson; a learner's page is read and cached
    after the edit was made but before it committed. After the commit, pages show it."""
    client.force_login(learner)
    written, go_on = threading.Event(), threading.Event()

    def edit_and_wait() -> None:
        from django.db import connection

        try:
            with transaction.atomic():
                course.title = "Testing, Revised"
                course.save()
                Lesson.objects.create(course=course, title="A new lesson", slug="new", position=5)
                written.set()
                go_on.wait(timeout=10)
        finally:
            connection.close()

    writer = threading.Thread(target=edit_and_wait)
    writer.start()
    assert written.wait(timeout=10)
    assert "Intro to Testing" in client.get(DASHBOARD).text, "not committed yet"
    assert "A new lesson" not in client.get(course_url(course)).text
    go_on.set()
    writer.join(timeout=10)

    assert "Testing, Revised" in client.get(DASHBOARD).text
    assert "A new lesson" in client.get(course_url(course)).text


def test_an_unreachable_cache_logs_one_line_a_minute_not_a_traceback_a_request(
    settings, learner_client, lessons, caplog
):
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    for configured in logging.getLogger("django_redis.cache").filters:
        configured.last_seen = -math.inf  # an outage begins now, whatever ran before
    for _ in range(20):
        assert learner_client.get(DASHBOARD).status_code == 200

    logged = [r for r in caplog.records if r.name == "django_redis.cache"]
    assert len(logged) == 1
    assert logged[0].exc_info is not None  # the first keeps its traceback


def test_the_cache_error_filter_counts_what_it_holds_back():
    from courses.cache_errors import CacheErrorLogFilter

    quiet = 0.2
    log = CacheErrorLogFilter(seconds=quiet)

    def record():
        try:
            raise ConnectionError("no Redis")
        except ConnectionError:
            return logging.LogRecord(
                "django_redis.cache",
                logging.ERROR,
                "",
                0,
                "Exception ignored",
                None,
                sys.exc_info(),
            )

    first = record()
    assert log.filter(first) and first.exc_info
    assert not any(log.filter(record()) for _ in range(50))  # the same minute: held back
    time.sleep(quiet * 0.6)
    assert not log.filter(record())
    time.sleep(quiet * 0.6)  # still failing, a window later: one line, no traceback
    summary = record()
    assert log.filter(summary)
    assert summary.exc_info is None and "51 more" in summary.msg
    time.sleep(quiet * 1.2)  # quiet for a window: a new outage, with its traceback
    again = record()
    assert log.filter(again) and again.exc_info


def test_a_redis_restored_from_an_old_snapshot_never_serves_a_page_older_than_the_database(
    settings, client, learner, lessons
):
    """The tester's case: pages cached, Redis saved, two completions stored, Redis
    restarted from its file. Simulated with the real Redis: every key of the site is
    dumped, the learner completes two lessons, then the keys are restored as they were
    and anything newer is dropped. The pages must show the two completions."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"restore-test-{secrets.token_hex(4)}",
        }
    }
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    pattern = f"{settings.CACHES['default']['KEY_PREFIX']}:*"
    client.force_login(learner)
    lesson_complete(user=learner, lesson=lessons[0])
    course = lessons[0].course
    assert progress_now(client.get(DASHBOARD).text) == [25]
    assert progress_now(client.get(course_url(course)).text) == [25]
    snapshot = {key: redis.dump(key) for key in redis.scan_iter(pattern)}
    assert snapshot, "the pages were cached"

    lesson_complete(user=learner, lesson=lessons[1])
    lesson_complete(user=learner, lesson=lessons[2])
    assert progress_now(client.get(DASHBOARD).text) == [75]
    for key in redis.scan_iter(pattern):  # Redis as its old file has it
        redis.delete(key)
    for key, value in snapshot.items():
        redis.restore(key, 0, value, replace=True)

    assert progress_now(client.get(DASHBOARD).text) == [75]
    assert progress_now(client.get(course_url(course)).text) == [75]
    for key in redis.scan_iter(pattern):
        redis.delete(key)
