"""Read side of achievements. Query counts do not depend on how many achievements exist."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from achievements.models import Achievement, LearnerProfile, UserAchievement
from achievements.rules import LearnerStats, RuleProgress, rule_progress, rule_qualifying_user_ids
from achievements.streaks import local_days, longest_streak
from achievements.time_zones import time_zone_get
from courses.models import LessonCompletion, UserProgress


def learner_time_zone_name(*, user: AbstractBaseUser) -> str:
    """The learner's chosen time zone, or the site's when they never chose one."""
    chosen = LearnerProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return chosen or settings.TIME_ZONE


def learner_stats_get(*, user: AbstractBaseUser) -> LearnerStats:
    """Everything any rule needs to judge one learner, in three queries.

    Completion rows are read whole (course and moment), so lesson counts and the
    streak come from one round trip; the learner's rows, not the site's.
    """
    rows = list(
        LessonCompletion.objects.filter(user=user).values_list("lesson__course_id", "completed_at")
    )
    completed = frozenset(
        UserProgress.objects.filter(user=user, completed_at__isnull=False)
        .order_by()
        .values_list("course_id", flat=True)
    )
    zone = time_zone_get(learner_time_zone_name(user=user))
    return LearnerStats(
        lessons_by_course=Counter(course_id for course_id, _ in rows),
        completed_course_ids=completed,
        longest_streak=longest_streak(local_days((at for _, at in rows), zone)),
    )


def achievement_award_pending_user_ids(*, achievement: Achievement) -> list[int]:
    """Learners the rule would award now: they qualify and never held it.

    A learner whose award was revoked is left out, as the live check leaves them out:
    only a manual award gives it back. Works on an unsaved achievement too (a preview
    of a rule being edited). One to three queries, whatever the number of learners.
    """
    qualifying = rule_qualifying_user_ids(achievement)
    if achievement.pk is not None and qualifying:
        qualifying -= set(
            UserAchievement.objects.filter(achievement=achievement).values_list(
                "user_id", flat=True
            )
        )
    return sorted(qualifying)


def achievement_held(*, user: AbstractBaseUser, achievement: Achievement) -> bool:
    """Whether the learner holds the achievement now (awarded and not revoked)."""
    return UserAchievement.objects.filter(
        user=user, achievement=achievement, revoked_at__isnull=True
    ).exists()


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
        UserAchievement.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "achievement_id", "unlocked_at"
        )
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
        UserAchievement.objects.filter(
            user=user, achievement__is_active=True, revoked_at__isnull=True
        )
        .select_related("achievement")
        .order_by("-unlocked_at")[:limit]
    )
