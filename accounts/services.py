"""Write side of accounts: the learner's row, its lock, and their time zone."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import LearnerProfile, page_token_new
from accounts.time_zones import validate_time_zone
from accounts.usernames import username_skeleton


def learner_lock(*, user: AbstractBaseUser) -> None:
    """Lock the learner's row until the transaction ends, and retire their cached pages.

    Every write of a learner's progress or awards takes this lock first (completions,
    undos, awards by hand or by backfill, time zone changes, admin deletions), so one
    learner's writes happen one after another (two tabs, a double click, a backfill),
    while different learners never wait for each other. It is one UPDATE: the row lock
    it takes is the lock, and the new page token it writes names the learner's cached
    pages from the moment, and only from the moment, the transaction commits.
    """
    if not LearnerProfile.objects.filter(user=user).update(page_token=page_token_new()):
        # An account made without the profile (bulk_create, a fixture): make it once.
        # The unique user column decides between two first writes; the second waits.
        profile = LearnerProfile(
            user=user, username_skeleton=username_skeleton(user.get_username())
        )
        LearnerProfile.objects.bulk_create([profile], ignore_conflicts=True)
        LearnerProfile.objects.filter(user=user).update(page_token=page_token_new())


def learners_lock(*, user_ids: Iterable[int]) -> list[int]:
    """`learner_lock` for many learners at once, in id order (as every batch takes them,
    so two batches never deadlock); returns the ids locked, in that order.

    Learners without a profile row have no cached pages and no other writer to wait
    for but a first completion, which the unique constraints arbitrate.
    """
    locked = list(
        LearnerProfile.objects.select_for_update()
        .filter(user_id__in=list(user_ids))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    LearnerProfile.objects.filter(user_id__in=locked).update(page_token=page_token_new())
    return locked


def learner_profile_save(*, user: AbstractBaseUser) -> None:
    """The row every account has, made with the account and kept in step with its
    username (see `AccountsConfig.ready`)."""
    LearnerProfile.objects.update_or_create(
        user=user, defaults={"username_skeleton": username_skeleton(user.get_username())}
    )


def learner_time_zone_set(*, user: AbstractBaseUser, time_zone: str) -> None:
    """Save the learner's time zone; the caller holds the learner's lock."""
    validate_time_zone(time_zone)
    LearnerProfile.objects.filter(user=user).update(time_zone=time_zone)
