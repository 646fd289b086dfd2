"""Write side of achievements: awarding (live, backfill, by hand), revoking, announcing."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import batched

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.services import learner_lock, learner_time_zone_set, learners_lock
from achievements.models import (
    STREAK_DAYS_MAX,
    Achievement,
    Backfill,
    Rule,
    Trigger,
    UserAchievement,
)
from achievements.rules import LearnerStats, rule_reached, rule_snapshot
from achievements.selectors import (
    achievement_award_pending_user_ids,
    achievement_held,
    learner_longest_streak,
    learner_stats_get,
    unlocks_unannounced,
)
from courses.models import Course, Lesson, UserProgress

logger = logging.getLogger(__name__)

# Awards inserted per transaction by a backfill: short transactions, few round trips.
BACKFILL_BATCH_SIZE = 1000
# A streak's days are local days: the window of a live streak check reaches this many
# days further back than the threshold, more than any UTC offset and DST change shift.
STREAK_WINDOW_MARGIN_DAYS = 2


def achievements_award_for_completion(
    *,
    user: AbstractBaseUser,
    lesson: Lesson,
    completed_at: datetime,
    progress_rows: list[UserProgress],
    announced: bool = False,
) -> list[Achievement]:
    """Award what a lesson completion earned; return the new awards' achievements
    (stored as announced when the caller shows them itself: `lesson_complete`).

    The one entry point of the completion into achievements, inside its transaction,
    after its writes, under the learner's lock (so "not held yet" cannot go stale; the
    unique constraint still has the last word, ON CONFLICT DO NOTHING, against a
    concurrent backfill). `progress_rows` are the learner's rows as the completion left
    them: their lesson counts and completed courses are what every count rule needs, so
    each rule is judged by `rule_progress`, as the achievements page judges it. One to
    three queries, whatever the number of achievements: the active ones not held (a
    revoked award counts as held), the streak days if a streak is among them, the
    insert if anything is earned.

    Why this shape: building SQL is what the ORM spends its time on here (about 4 ms
    of CPU for the one query that judged every rule on the whole history, 1.3 ms for a
    filter of the counts), while reading a few dozen short rows costs 0.1 ms; so the
    query is the plainest one, and the judging is Python on numbers already at hand.

    Rules about another course cannot have changed: one met before its achievement
    existed is the backfill's, as the admin's save schedules it. A new completion can
    only lengthen the run of days ending on its own day, so only the completions of the
    last (largest streak threshold + 2) days are read: enough to see that run reach any
    threshold, whatever the time zone; a streak reached earlier is the backfill's too.
    """
    held = UserAchievement.objects.filter(user=user).values("achievement_id")
    candidates = [
        row
        for row in Achievement.objects.filter(is_active=True)
        .exclude(pk__in=held)
        .values_list(*_AWARD_FIELDS, named=True)
        if row.course_id in (None, lesson.course_id)
    ]
    if not candidates:
        return []
    stats = LearnerStats(
        lessons_by_course={row.course_id: row.lessons_done for row in progress_rows},
        completed_course_ids=frozenset(
            row.course_id for row in progress_rows if row.completed_at is not None
        ),
        longest_streak=0,
    )
    streaks = [row.threshold for row in candidates if row.rule == Rule.STREAK_DAYS]
    if streaks:
        # Bounded: a threshold stored past the form's bound (the shell, older data)
        # cannot push the window out of the calendar; such a streak is never met.
        days = min(max(streaks), STREAK_DAYS_MAX) + STREAK_WINDOW_MARGIN_DAYS
        since = completed_at - timedelta(days=days)
        stats = replace(stats, longest_streak=learner_longest_streak(user=user, since=since))
    earned = [Achievement(**row._asdict()) for row in candidates if rule_reached(row, stats)]
    for achievement in earned:
        if achievement.course_id:  # this course: the snapshot names it, without a query
            achievement.course = lesson.course
    return _award(
        user=user,
        achievements=earned,
        trigger=Trigger.LESSON_COMPLETION,
        lesson=lesson,
        announced=announced,
    )


# What an award and its toast need of an achievement (the rest is never read there).
_AWARD_FIELDS = ("id", "name", "description", "icon", "rule", "threshold", "course_id")


def achievements_award_earned(*, user: AbstractBaseUser, trigger: Trigger) -> list[Achievement]:
    """Award every active achievement the learner qualifies for on their whole history.

    For what changes every rule's answer at once (a time zone change), not for a
    completion: three queries and the learner's every completion.
    """
    stats = learner_stats_get(user=user)
    earned = [
        achievement
        for achievement in Achievement.objects.filter(is_active=True)
        .exclude(unlocks__user=user)
        .select_related("course")
        if rule_reached(achievement, stats)
    ]
    return _award(user=user, achievements=earned, trigger=trigger)


def _award(
    *,
    user: AbstractBaseUser,
    achievements: list[Achievement],
    trigger: Trigger,
    lesson: Lesson | None = None,
    announced: bool = False,
) -> list[Achievement]:
    if achievements:
        now = timezone.now()
        UserAchievement.objects.bulk_create(
            [
                UserAchievement(
                    user=user,
                    achievement=a,
                    trigger=trigger,
                    trigger_lesson=lesson,
                    rule_snapshot=rule_snapshot(a),
                    announced_at=now if announced else None,
                )
                for a in achievements
            ],
            ignore_conflicts=True,
        )
    return achievements


def achievement_backfill(
    *,
    achievement_id: int,
    batch_size: int = BACKFILL_BATCH_SIZE,
    dry_run: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    values: Mapping[int, int] | None = None,
) -> int:
    """Award the achievement to every learner who qualifies now and never held it.

    Returns how many learners that is. Safe to run again at any time: learners who hold
    it (or had it revoked) are skipped. Each batch is its own short transaction that
    first locks its learners, in id order, as the completion service does: without it a
    completion holding a learner's lock and a batch holding the new award row would
    wait for each other (deadlock). ON CONFLICT DO NOTHING has the last word: a learner
    awarded meanwhile (by a completion, or the same backfill run twice) keeps one award.
    `progress(learners, done, awarded)` is told after the count and after each batch;
    `values`, the rule's counts when the caller has them (`rules.rule_values`).
    Queries: at most 4, plus four per batch (the lock, who holds it, the insert).
    """
    achievement = Achievement.objects.select_related("course").get(pk=achievement_id)
    user_ids = []
    if achievement.is_active:
        user_ids = achievement_award_pending_user_ids(achievement=achievement, values=values)
    if dry_run:
        return len(user_ids)
    snapshot = rule_snapshot(achievement)
    awarded = done = 0
    if progress:
        progress(len(user_ids), done, awarded)
    for batch in batched(user_ids, batch_size):
        with transaction.atomic():
            learners_lock(user_ids=batch)
            # Under the lock: who got it since the list was read (a completion, or the
            # same backfill running twice) is not awarded again, nor counted.
            held = set(
                UserAchievement.objects.filter(
                    achievement=achievement, user_id__in=batch
                ).values_list("user_id", flat=True)
            )
            new = [user_id for user_id in batch if user_id not in held]
            UserAchievement.objects.bulk_create(
                [
                    UserAchievement(
                        user_id=user_id,
                        achievement=achievement,
                        trigger=Trigger.BACKFILL,
                        rule_snapshot=snapshot,
                    )
                    for user_id in new
                ],
                ignore_conflicts=True,
            )
        awarded += len(new)
        done += len(batch)
        if progress:
            progress(len(user_ids), done, awarded)
    return awarded


def backfill_queue(*, achievement: Achievement, requested_by: AbstractBaseUser | None) -> Backfill:
    """Record a backfill to run on the task worker (`achievements.tasks`)."""
    return Backfill.objects.create(achievement=achievement, requested_by=requested_by)


def backfill_run(*, backfill_id: int) -> int:
    """Run a queued backfill, recording its state and progress for the admin; returns
    how many learners it awarded. A failure is recorded with its reason, and raised (the
    task backend records it too); a run cut short (a killed worker) is simply run again:
    learners it awarded keep their one award."""
    backfill = Backfill.objects.get(pk=backfill_id)

    def progress(learners: int, done: int, awarded: int) -> None:
        Backfill.objects.filter(pk=backfill_id).update(
            state=Backfill.State.RUNNING,
            learners=learners,
            learners_done=done,
            awarded=awarded,
            updated_at=timezone.now(),
        )

    try:
        awarded = achievement_backfill(achievement_id=backfill.achievement_id, progress=progress)
    except Exception as error:
        Backfill.objects.filter(pk=backfill_id).update(
            state=Backfill.State.FAILED, error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )  # fmt: skip
        raise
    Backfill.objects.filter(pk=backfill_id).update(
        state=Backfill.State.DONE, finished_at=timezone.now()
    )
    return awarded


def achievements_backfill_course_completed(*, course: Course) -> None:
    """Backfill the achievements a course newly complete may earn: learners for whom a
    removed lesson was the last one missing have nothing left to click. Runs where its
    caller runs (the worker, after a course's lessons changed); each run is recorded as
    the admin's would be."""
    for achievement in Achievement.objects.filter(
        Q(rule=Rule.COURSES_COMPLETED) | Q(rule=Rule.COURSE_COMPLETED, course=course),
        is_active=True,
    ):
        backfill_run(backfill_id=backfill_queue(achievement=achievement, requested_by=None).pk)


@transaction.atomic
def achievement_award_manual(
    *, user: AbstractBaseUser, achievement: Achievement, awarded_by: AbstractBaseUser, reason: str
) -> UserAchievement:
    """An admin's award, whatever the rule says, recorded with who and why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this achievement is awarded by hand."})
    learner_lock(user=user)
    if achievement_held(user=user, achievement=achievement):
        raise ValidationError("This learner already has this achievement.")
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
        learners_lock(user_ids=set(awards.values_list("user_id", flat=True)))
        return awards.update(
            revoked_at=timezone.now(), revoked_by=revoked_by, revoke_reason=reason.strip()
        )


@transaction.atomic
def learner_time_zone_change(*, user: AbstractBaseUser, time_zone: str) -> list[Achievement]:
    """Save the learner's time zone and award what it now makes them qualify for.

    Streak days are counted in this zone, so changing it can lengthen the longest
    streak; awarding now keeps "qualifies" and "awarded" in step, as a backfill would.
    """
    learner_lock(user=user)
    learner_time_zone_set(user=user, time_zone=time_zone)
    return achievements_award_earned(user=user, trigger=Trigger.TIME_ZONE_CHANGE)


def announcements_claim(*, user: AbstractBaseUser) -> list[UserAchievement]:
    """Unlocks this learner has not been shown yet, marked as shown, oldest first.

    Exactly once even with two devices: the rows are claimed under a row lock, and a
    second claimant re-reads them after the first commits and finds them announced.
    With nothing to claim (the common case) it is one query, no transaction.
    """
    unannounced = unlocks_unannounced(user=user)
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
