"""Whatever learners do and admins edit, in any order, the stored state is what a fresh
recomputation from the completions says (README, "Reliability").

Random sequences of learner actions (complete, undo, on later and later days) and admin
edits (deleting completions, adding and removing lessons, revoking awards); after each
sequence: every progress row equals its recomputation from the completions, a backfill
from scratch finds nothing the live path missed, a revoked award never came back, and
every cached page shows what the database says.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from achievements.models import Achievement, Rule, UserAchievement
from achievements.services import achievement_awards_revoke, achievement_backfill
from courses.models import Lesson, LessonCompletion, UserProgress
from courses.progress import percent_complete
from courses.services import completions_delete, course_completion_refresh, lesson_uncomplete
from tests.achievements.helpers import complete_at
from tests.achievements.test_rules import database_examples
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, UserFactory

START = datetime(2026, 3, 1, 9, tzinfo=UTC)

complete = st.tuples(st.just("complete"), st.integers(0, 1), st.integers(0, 5), st.integers(0, 2))
actions = st.lists(
    st.one_of(
        complete,
        complete,  # twice as likely: the other actions need something done to act on
        # The others pick among what exists: the nth completion, the nth award held.
        st.tuples(st.just("undo"), st.integers(0, 20)),
        st.tuples(st.just("admin_delete_completion"), st.integers(0, 20)),
        st.tuples(st.just("admin_add_lesson"), st.integers(0, 1)),
        st.tuples(st.just("admin_remove_lesson"), st.integers(0, 1), st.integers(0, 3)),
        st.tuples(st.just("admin_revoke"), st.integers(0, 20)),
    ),
    max_size=10,
)


def _lessons(course) -> list[Lesson]:
    return list(course.lessons.order_by("position"))


def _apply(action: tuple, *, learners, courses, admin, clock: list) -> None:
    kind, *args = action
    completions = list(LessonCompletion.objects.order_by("pk").select_related("lesson__course"))
    if kind == "complete":
        all_lessons = _lessons(courses[0]) + _lessons(courses[1])
        if args[1] < len(all_lessons):
            lesson = Lesson.objects.select_related("course").get(pk=all_lessons[args[1]].pk)
            clock[0] += timedelta(days=args[2], minutes=7)
            complete_at(user=learners[args[0]], lesson=lesson, at=clock[0])
    elif kind == "undo" and completions:
        completion = completions[args[0] % len(completions)]
        lesson_uncomplete(user=completion.user, lesson=completion.lesson)
    elif kind == "admin_delete_completion" and completions:
        completion = completions[args[0] % len(completions)]
        completions_delete(completions=LessonCompletion.objects.filter(pk=completion.pk))
    elif kind == "admin_add_lesson":
        course = courses[args[0]]
        LessonFactory(course=course, position=_lessons(course)[-1].position + 1)
        course_completion_refresh(course=course, lessons_removed=False)
    elif kind == "admin_remove_lesson":
        course = courses[args[0]]
        lessons = _lessons(course)
        if len(lessons) > 1 and args[1] < len(lessons):
            lessons[args[1]].delete()
            course_completion_refresh(course=course)
    elif kind == "admin_revoke":
        held = list(UserAchievement.objects.filter(revoked_at=None).order_by("pk"))
        if held:
            award = held[args[0] % len(held)]
            achievement_awards_revoke(
                awards=UserAchievement.objects.filter(pk=award.pk),
                revoked_by=admin,
                reason="Random audit",
            )


def _assert_progress_rows_are_their_recomputation() -> None:
    for row in UserProgress.objects.select_related("course"):
        lessons = _lessons(row.course)
        done = set(
            LessonCompletion.objects.filter(user=row.user, lesson__course=row.course).values_list(
                "lesson_id", flat=True
            )
        )
        complete = bool(lessons) and len(done) == len(lessons)
        assert row.lessons_done == len(done), row
        assert (row.completed_at is not None) == complete, row
        if complete:
            last = LessonCompletion.objects.filter(user=row.user, lesson__course=row.course)
            assert row.completed_at == last.latest("completed_at").completed_at, row
            assert row.current_lesson_id is None
        else:
            assert row.current_lesson_id is not None and row.current_lesson_id not in done, row
    # A completion always has its learner's progress row in its course.
    for user_id, course_id in LessonCompletion.objects.values_list(
        "user_id", "lesson__course_id"
    ).distinct():
        assert UserProgress.objects.filter(user_id=user_id, course_id=course_id).exists()


def _assert_pages_show_the_database(learners, courses) -> None:
    for learner in learners:
        client = Client()
        client.force_login(learner)
        for course in courses:
            row = UserProgress.objects.filter(user=learner, course=course).first()
            expected = percent_complete(
                completed=row.lessons_done if row else 0, total=course.lessons.count()
            )
            page = client.get(course.get_absolute_url()).text
            shown = re.search(r'aria-valuenow="(\d+)"', page).group(1)
            assert int(shown) == expected, (learner, course)


@pytest.mark.django_db
@database_examples(25)
@given(sequence=actions)
def test_any_sequence_of_learner_actions_and_admin_edits_keeps_the_state_true(sequence, db):
    with transaction.atomic():
        # Made inside the example: rolled back with it, and with page tokens of their own.
        admin = UserFactory(is_staff=True, is_superuser=True)
        learners = UserFactory.create_batch(2)
        courses = [CourseFactory(lessons=3), CourseFactory(lessons=3)]
        for achievement in [
            AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=2),
            AchievementFactory(rule=Rule.COURSE_LESSONS_COMPLETED, threshold=2, course=courses[0]),
            AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=1),
            AchievementFactory(rule=Rule.COURSE_COMPLETED, threshold=None, course=courses[1]),
            AchievementFactory(rule=Rule.STREAK_DAYS, threshold=2),
        ]:
            assert achievement.pk
        clock = [START]
        revoked_before: set[tuple[int, int]] = set()
        for action in sequence:
            # Pages cached before the step, so the step has something to make stale.
            _assert_pages_show_the_database(learners, courses)
            _apply(action, learners=learners, courses=courses, admin=admin, clock=clock)
            revoked_before |= set(
                UserAchievement.objects.exclude(revoked_at=None).values_list(
                    "user_id", "achievement_id"
                )
            )

        _assert_progress_rows_are_their_recomputation()
        _assert_pages_show_the_database(learners, courses)
        for achievement in Achievement.objects.all():
            # The live path and the lesson edits' follow-ups missed nobody.
            assert achievement_backfill(achievement_id=achievement.pk, dry_run=True) == 0
        for user_id, achievement_id in revoked_before:
            assert not UserAchievement.objects.filter(
                user_id=user_id, achievement_id=achievement_id, revoked_at=None
            ).exists(), "a revoked award came back"
        transaction.set_rollback(True)
