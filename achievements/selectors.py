"""Read side of achievements. Query counts do not depend on how many achievements exist."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet, Subquery

from accounts.models import LearnerProfile
from accounts.time_zones import time_zone_get
from achievements.models import Achievement, UserAchievement
from achievements.rules import LearnerStats, RuleProgress, rule_progress, rule_qualifying_user_ids
from achievements.streaks import local_days, longest_streak
from courses.models import LessonCompletion, UserProgress


def _time_zone_column(*, user: AbstractBaseUser) -> Subquery:
    """The learner's time zone as a column of another query: one round trip less.

    Empty or NULL when they never chose one. Read in the same statement as the
    completions it applies to, so the two are always of the same moment.
    """
    return Subquery(LearnerProfile.objects.filter(user=user).values("time_zone")[:1])


def learner_stats_get(*, user: AbstractBaseUser) -> LearnerStats:
    """Everything any rule needs to judge one learner, in two queries.

    Completion rows are read whole (course and moment, with the time zone alongside), so
    lesson counts and the streak come from one round trip; the learner's rows, not the
    site's.
    """
    rows = list(
        LessonCompletion.objects.filter(user=user)
        .order_by()
        .values_list("lesson__course_id", "completed_at", _time_zone_column(user=user))
    )
    completed = frozenset(
        UserProgress.objects.filter(user=user, completed_at__isnull=False)
        .order_by()
        .values_list("course_id", flat=True)
    )
    zone = time_zone_get((rows[0][2] if rows else None) or settings.TIME_ZONE)
    return LearnerStats(
        lessons_by_course=Counter(course_id for course_id, _, _ in rows),
        completed_course_ids=completed,
        longest_streak=longest_streak(local_days((at for _, at, _ in rows), zone)),
    )


def learner_longest_streak(*, user: AbstractBaseUser, since: datetime) -> int:
    """The longest streak among the learner's completions since `since`.

    One query: the moments, with the time zone alongside. A window can only shorten a
    run, never lengthen one, so a streak found in it is a real one.
    """
    rows = list(
        LessonCompletion.objects.filter(user=user, completed_at__gte=since)
        .order_by()
        .values_list("completed_at", _time_zone_column(user=user))
    )
    if not rows:
        return 0
    zone = time_zone_get(rows[0][1] or settings.TIME_ZONE)
    return longest_streak(local_days((at for at, _ in rows), zone))


def achievement_award_pending_user_ids(
    *, achievement: Achievement, values: Mapping[int, int] | None = None
) -> list[int]:
    """Learners the rule would award now: they qualify and never held it.

    A learner whose award was revoked is left out, as the live check leaves them out:
    only a manual award gives it back. Works on an unsaved achievement too (a preview
    of a rule being edited). Two queries, whatever the number of learners; `values` as
    `rules.rule_qualifying_user_ids` takes them.
    """
    qualifying = rule_qualifying_user_ids(achievement, values)
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
    # The award, when unlocked: its public id and whether its page is shown (credentials).
    public_id: UUID | None = None
    is_public: bool = False

    @property
    def is_unlocked(self) -> bool:
        return self.unlocked_at is not None


def achievement_statuses(*, user: AbstractBaseUser) -> list[AchievementStatus]:
    """Every active achievement with this learner's standing: unlocked first, newest first."""
    unlocked = {
        achievement_id: {"unlocked_at": at, "public_id": public_id, "is_public": is_public}
        for achievement_id, at, public_id, is_public in UserAchievement.objects.filter(
            user=user, revoked_at__isnull=True
        ).values_list("achievement_id", "unlocked_at", "public_id", "is_public")
    }
    stats = learner_stats_get(user=user)
    statuses = [
        AchievementStatus(
            achievement=achievement,
            progress=rule_progress(achievement, stats),
            **unlocked.get(achievement.id, {"unlocked_at": None}),
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


def unlocks_unannounced(*, user: AbstractBaseUser) -> QuerySet[UserAchievement]:
    """Unlocks the learner has not been shown yet (`announcements_claim` shows them)."""
    return UserAchievement.objects.filter(
        user=user, announced_at__isnull=True, revoked_at__isnull=True
    )


def recent_unlocks(*, user: AbstractBaseUser, limit: int = 6) -> list[UserAchievement]:
    return list(
        UserAchievement.objects.filter(
            user=user, achievement__is_active=True, revoked_at__isnull=True
        )
        .select_related("achievement")
        .order_by("-unlocked_at")[:limit]
    )
