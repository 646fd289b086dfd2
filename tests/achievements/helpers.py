"""Building learning histories with chosen moments, and comparing live and backfill awards."""

from collections.abc import Iterable
from datetime import datetime
from unittest import mock

from django.db.models import Case, DateTimeField, Value, When

from achievements.models import Achievement, UserAchievement
from achievements.services import achievement_backfill
from courses.models import LessonCompletion
from courses.services import CompletionResult, lesson_complete


def complete_at(*, user, lesson, at: datetime) -> CompletionResult:
    """Complete a lesson through the real service, as if at `at`."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        return lesson_complete(user=user, lesson=lesson)


def completions_create(rows: Iterable[tuple[int, int, datetime]]) -> None:
    """Insert (user_id, lesson_id, completed_at) rows in two queries.

    completed_at is auto_now_add, so the moments are set by one UPDATE afterwards.
    """
    rows = list(rows)
    if not rows:
        return
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(user_id=u, lesson_id=lesson) for u, lesson, _ in rows]
    )
    LessonCompletion.objects.update(
        completed_at=Case(
            *[When(user_id=u, lesson_id=lesson, then=Value(at)) for u, lesson, at in rows],
            default="completed_at",
            output_field=DateTimeField(),
        )
    )


def awarded() -> set[tuple[int, int]]:
    return set(UserAchievement.objects.values_list("user_id", "achievement_id"))


def backfilled_from_scratch() -> set[tuple[int, int]]:
    """Forget every award, backfill every active achievement, return what it awarded."""
    UserAchievement.objects.all().delete()
    for pk in Achievement.objects.filter(is_active=True).values_list("pk", flat=True):
        achievement_backfill(achievement_id=pk)
    return awarded()
