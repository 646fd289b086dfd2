"""Read side of achievements. Query counts do not depend on how many achievements exist."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count

from achievements.models import Achievement, UserAchievement
from achievements.rules import LearnerStats, RuleProgress, rule_progress
from courses.models import LessonCompletion, UserProgress


def learner_stats_get(*, user: AbstractBaseUser) -> LearnerStats:
    """Everything any rule needs to judge one learner, in two queries."""
    by_course = dict(
        LessonCompletion.objects.filter(user=user)
        .values_list("lesson__course_id")
        .annotate(n=Count("id"))
        .values_list("lesson__course_id", "n")
    )
    completed = frozenset(
        UserProgress.objects.filter(user=user, completed_at__isnull=False)
        .order_by()
        .values_list("course_id", flat=True)
    )
    return LearnerStats(lessons_by_course=by_course, completed_course_ids=completed)


@dataclass(frozen=True)
class AchievementStatus:
    achievement: Achievement
    progress: RuleProgress
    unlocked_at: datetime | None

    @property
    def is_unlocked(self) -> bool:
        return self.unlocked_at is not None


def achievement_statuses(*, user: AbstractBaseUser) -> list[AchievementStatus]:
    """Every active achievement with this learner's standing: unlocked first, newest first."""
    unlocked = dict(
        UserAchievement.objects.filter(user=user).values_list("achievement_id", "unlocked_at")
    )
    stats = learner_stats_get(user=user)
    statuses = [
        AchievementStatus(
            achievement=achievement,
            progress=rule_progress(achievement, stats),
            unlocked_at=unlocked.get(achievement.id),
        )
        for achievement in Achievement.objects.filter(is_active=True).select_related("course")
    ]
    # Unlocked first, newest first; then locked ones, closest to unlocking first.
    statuses.sort(
        key=lambda s: (
            (0, -s.unlocked_at.timestamp())
            if s.unlocked_at
            else (1, -s.progress.shown / s.progress.target)
        )
    )
    return statuses


def recent_unlocks(*, user: AbstractBaseUser, limit: int = 6) -> list[UserAchievement]:
    return list(
        UserAchievement.objects.filter(user=user, achievement__is_active=True)
        .select_related("achievement")
        .order_by("-unlocked_at")[:limit]
    )
