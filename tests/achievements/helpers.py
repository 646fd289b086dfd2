"""Building learning histories with chosen moments, and comparing live and backfill awards."""

from collections.abc import Iterable
from datetime import datetime
from unittest import mock

from achievements.models import Achievement, UserAchievement
from achievements.services import achievement_backfill
from courses.models import Lesson, LessonCompletion
from courses.services import CompletionResult, lesson_complete
from tests.factories import progress_rows_in_line


def complete_at(*, user, lesson, at: datetime) -> CompletionResult:
    """Complete a lesson through the real service, as if at `at`."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        return lesson_complete(user=user, lesson=lesson)


def completions_create(rows: Iterable[tuple[int, int, datetime]]) -> None:
    """Insert (user_id, lesson_id, completed_at) rows, with the learners' progress rows
    kept in line as the services keep them."""
    rows = list(rows)
    if not rows:
        return
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(user_id=u, lesson_id=lesson, completed_at=at) for u, lesson, at in rows]
    )
    courses = dict(
        Lesson.objects.filter(pk__in={r[1] for r in rows}).values_list("pk", "course_id")
    )
    progress_rows_in_line(pairs=[(u, courses[lesson]) for u, lesson, _ in rows])


def awarded() -> set[tuple[int, int]]:
    return set(UserAchievement.objects.values_list("user_id", "achievement_id"))


def backfilled_from_scratch() -> set[tuple[int, int]]:
    """Forget every award, backfill every active achievement, return what it awarded."""
    UserAchievement.objects.all().delete()
    for pk in Achievement.objects.filter(is_active=True).values_list("pk", flat=True):
        achievement_backfill(achievement_id=pk)
    return awarded()
