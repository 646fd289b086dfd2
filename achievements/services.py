"""Write side of achievements: awarding (live, backfill, by hand), revoking, announcing."""

from datetime import datetime, timedelta
from functools import partial
from itertools import batched

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Expression, IntegerField, QuerySet
from django.utils import timezone

from achievements import tasks
from achievements.models import (
    STREAK_DAYS_MAX,
    Achievement,
    LearnerProfile,
    Rule,
    Trigger,
    UserAchievement,
)
from achievements.rules import rule_snapshot
from achievements.selectors import (
    Reached,
    achievement_award_pending_user_ids,
    achievement_held,
    achievements_reached_or_streak_statement,
    learner_longest_streak,
    unlocks_unannounced,
)
from achievements.time_zones import validate_time_zone
from courses.models import Lesson
from progress_site.compiled import Statement, compiled
from progress_site.learner_cache import (
    learner_changed,
    nothing_to_announce_get,
    nothing_to_announce_set,
)

# Awards inserted per transaction by a backfill: short transactions, few round trips.
BACKFILL_BATCH_SIZE = 1000
# A streak's days are local days: the window of a live streak check reaches this many
# days further back than the threshold, more than any UTC offset and DST change shift.
STREAK_WINDOW_MARGIN_DAYS = 2


@compiled(user_id=IntegerField())
def _learner_locked(*, user_id: Expression) -> QuerySet:
    # SELECT ... FOR UPDATE; on SQLite the IMMEDIATE transaction already serialises writers.
    # The lock's row carries whether unlocks wait to be announced: one round trip less.
    return (
        get_user_model()
        .objects.select_for_update()
        .filter(pk=user_id)
        .values_list(Exists(unlocks_unannounced(user=user_id)))
    )


def learner_lock_statement(*, user: AbstractBaseUser) -> Statement[bool]:
    """Lock the learner's user row for the rest of the transaction: the one lock that
    serialises every write of a learner's progress and awards (completions, backfills,
    awards by hand, time zone changes). Different learners never wait for each other.

    Answers whether unlocks wait to be announced. PostgreSQL evaluates the rest of a
    locking statement as it was before the lock was granted, so that answer may miss a
    write committed meanwhile (a toast shows one page later at worst); anything a write
    depends on must be read by a later statement (`run_together` may send it along).
    """
    return _learner_locked.statement(user_id=user.pk).then(lambda result: bool(result.rows[0][0]))


def achievements_award_earned(
    *,
    user: AbstractBaseUser,
    trigger: Trigger = Trigger.LESSON_COMPLETION,
    lesson: Lesson | None = None,
    completed_at: datetime | None = None,
    reached: Reached | None = None,
) -> list[Achievement]:
    """Award every active achievement the learner now qualifies for; return the new ones.

    Runs inside the caller's transaction, which holds the learner's row lock, so the
    "not unlocked yet" read cannot go stale; the unique constraint still has the last
    word (ON CONFLICT DO NOTHING) against a concurrent backfill. One query when nothing
    is unlocked and no streak achievement is pending, at most four (streak days, the
    earned achievements, the insert), whatever the number of achievements; one fewer
    when the caller passes `reached`, the answer of
    `achievements_reached_or_streak_statement` it sent along with its own writes. A
    revoked award counts as held: rules never give it back.

    `completed_at` is the moment of the completion that triggered the check. A new
    completion can only lengthen the run of days ending on its own day, so only the
    completions of the last (largest streak threshold + 2) days are read: enough to see
    that run reach any threshold, whatever the time zone. A streak reached earlier and
    not held (an achievement created or edited since) is the backfill's, which the admin
    schedules. Without it (a time zone change) the whole history is read.
    """
    found = reached
    if found is None:
        found = achievements_reached_or_streak_statement(user=user).run()
    streaks = [threshold for _, rule, threshold in found if rule == Rule.STREAK_DAYS]
    longest = 0
    if streaks:
        since = None
        if completed_at is not None:
            # Bounded: a threshold stored past the form's bound (the shell, older data)
            # cannot push the window out of the calendar; such a streak is never met.
            days = min(max(streaks), STREAK_DAYS_MAX) + STREAK_WINDOW_MARGIN_DAYS
            since = completed_at - timedelta(days=days)
        longest = learner_longest_streak(user=user, since=since)
    earned_ids = [
        pk for pk, rule, threshold in found if rule != Rule.STREAK_DAYS or longest >= threshold
    ]
    if not earned_ids:
        return []
    earned = list(Achievement.objects.filter(pk__in=earned_ids).select_related("course"))
    UserAchievement.objects.bulk_create(
        [
            UserAchievement(
                user=user,
                achievement=a,
                trigger=trigger,
                trigger_lesson=lesson,
                rule_snapshot=rule_snapshot(a),
            )
            for a in earned
        ],
        ignore_conflicts=True,
    )
    return earned


def achievement_backfill(
    *, achievement_id: int, batch_size: int = BACKFILL_BATCH_SIZE, dry_run: bool = False
) -> int:
    """Award the achievement to every learner who qualifies now and never held it.

    Returns how many learners that is. Safe to run again at any time: learners who hold
    it (or had it revoked) are skipped. Each batch is its own short transaction that
    first locks its learners, in id order, as the completion service does: without it a
    completion holding a learner's lock and a batch holding the new award row would
    wait for each other (deadlock). ON CONFLICT DO NOTHING still has the last word.
    Queries: at most 4, plus a lock and an insert per batch.
    """
    achievement = Achievement.objects.select_related("course").get(pk=achievement_id)
    if not achievement.is_active:
        return 0
    user_ids = achievement_award_pending_user_ids(achievement=achievement)
    if dry_run:
        return len(user_ids)
    snapshot = rule_snapshot(achievement)
    awarded = 0
    for batch in batched(user_ids, batch_size):
        with transaction.atomic():
            locked = list(
                get_user_model()
                .objects.select_for_update()
                .filter(pk__in=batch)
                .exclude(achievements__achievement=achievement)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            UserAchievement.objects.bulk_create(
                [
                    UserAchievement(
                        user_id=user_id,
                        achievement=achievement,
                        trigger=Trigger.BACKFILL,
                        rule_snapshot=snapshot,
                    )
                    for user_id in locked
                ],
                ignore_conflicts=True,
            )
            learner_changed(user_ids=locked)
        awarded += len(locked)
    return awarded


def achievement_backfill_schedule(*, achievement: Achievement) -> None:
    """Backfill through the tasks framework once the current transaction commits.

    After commit, so the task (possibly on another worker) sees the saved rule; the task
    reads the achievement afresh and does nothing if it was deactivated meanwhile.
    """
    transaction.on_commit(
        partial(tasks.achievement_backfill_task.enqueue, achievement_id=achievement.pk)
    )


@transaction.atomic
def achievement_award_manual(
    *, user: AbstractBaseUser, achievement: Achievement, awarded_by: AbstractBaseUser, reason: str
) -> UserAchievement:
    """An admin's award, whatever the rule says, recorded with who and why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this achievement is awarded by hand."})
    learner_lock_statement(user=user).run()
    if achievement_held(user=user, achievement=achievement):
        raise ValidationError("This learner already has this achievement.")
    learner_changed(user_ids=[user.pk])
    return UserAchievement.objects.create(
        user=user,
        achievement=achievement,
        trigger=Trigger.MANUAL,
        rule_snapshot=rule_snapshot(achievement),
        awarded_by=awarded_by,
        reason=reason.strip(),
    )


def achievement_awards_revoke(
    *, awards: QuerySet[UserAchievement], revoked_by: AbstractBaseUser, reason: str
) -> int:
    """Revoke awards, keeping them as history with who, when and why; returns how many.

    Awards already revoked keep their first revocation.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why these achievements are revoked."})
    awards = awards.filter(revoked_at__isnull=True)
    with transaction.atomic():
        learner_changed(user_ids=set(awards.values_list("user_id", flat=True)))
        return awards.update(
            revoked_at=timezone.now(), revoked_by=revoked_by, revoke_reason=reason.strip()
        )


@transaction.atomic
def learner_profile_update(*, user: AbstractBaseUser, time_zone: str) -> list[Achievement]:
    """Save the learner's time zone and award what it now makes them qualify for.

    Streak days are counted in this zone, so changing it can lengthen the longest
    streak; awarding now keeps "qualifies" and "awarded" in step, as a backfill would.
    """
    validate_time_zone(time_zone)
    learner_lock_statement(user=user).run()
    LearnerProfile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    earned = achievements_award_earned(user=user, trigger=Trigger.TIME_ZONE_CHANGE)
    if earned:
        learner_changed(user_ids=[user.pk])
    return earned


def announcements_claim(*, user: AbstractBaseUser) -> list[UserAchievement]:
    """Unlocks this learner has not been shown yet, marked as shown, oldest first.

    Exactly once even with two devices: the rows are claimed under a row lock, and a
    second claimant re-reads them after the first commits and finds them announced.
    The common case, nothing pending, costs two cache reads once known (every award
    replaces the learner's cache generation, see `learner_changed`), or one query and
    no lock.
    """
    known_none, flag_key = nothing_to_announce_get(user_id=user.pk)
    if known_none:
        return []
    unannounced = unlocks_unannounced(user=user)
    pending = []
    if unannounced.exists():
        with transaction.atomic():
            pending = list(
                unannounced.select_for_update(of=("self",))
                .select_related("achievement")
                .order_by("unlocked_at")
            )
            UserAchievement.objects.filter(pk__in=[u.pk for u in pending]).update(
                announced_at=timezone.now()
            )
    nothing_to_announce_set(flag_key)
    return pending
