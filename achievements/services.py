"""Write side of achievements: awarding and announcing."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from achievements.models import Achievement, UserAchievement
from achievements.rules import rule_progress
from achievements.selectors import learner_stats_get


def achievements_award_earned(*, user: AbstractBaseUser) -> list[Achievement]:
    """Award every active achievement the learner now qualifies for; return the new ones.

    Runs inside the caller's transaction, which holds the learner's row lock, so the
    "not unlocked yet" read cannot go stale; the unique constraint still has the last
    word (ON CONFLICT DO NOTHING) against a concurrent backfill. Four queries at most.
    """
    candidates = list(Achievement.objects.filter(is_active=True).exclude(unlocks__user=user))
    if not candidates:
        return []
    stats = learner_stats_get(user=user)
    earned = [a for a in candidates if rule_progress(a, stats).reached]
    UserAchievement.objects.bulk_create(
        [UserAchievement(user=user, achievement=a) for a in earned], ignore_conflicts=True
    )
    return earned


def announcements_claim(*, user: AbstractBaseUser) -> list[UserAchievement]:
    """Unlocks this learner has not been shown yet, marked as shown, oldest first.

    Exactly once even with two devices: the rows are claimed under a row lock, and a
    second claimant re-reads them after the first commits and finds them announced.
    The common case, nothing pending, costs one read and takes no lock.
    """
    unannounced = UserAchievement.objects.filter(user=user, announced_at__isnull=True)
    if not unannounced.exists():
        return []
    with transaction.atomic():
        pending = list(
            unannounced.select_for_update(of=("self",))
            .select_related("achievement")
            .order_by("unlocked_at")
        )
        UserAchievement.objects.filter(pk__in=[u.pk for u in pending]).update(
            announced_at=timezone.now()
        )
    return pending
