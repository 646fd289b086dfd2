"""Write side of credentials: issuing and revoking certificates, sharing badges, and the
learner's name and e-mail address that credentials print and hash.

Every write of a learner's credentials takes their lock first (`learner_lock`), as
their progress and awards do: one learner's writes happen one after another, and the
unique constraints have the last word.
"""

from collections.abc import Iterable
from itertools import batched

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.services import learner_lock, learners_lock
from achievements.models import UserAchievement
from credentials.models import Certificate
from credentials.selectors import certificate_pending_rows

# Certificates issued per transaction when a whole course's learners are concerned.
ISSUE_BATCH_SIZE = 1000


def certificates_issue(
    *, course_id: int, user_ids: Iterable[int] | None = None, batch_size: int = ISSUE_BATCH_SIZE
) -> int:
    """Issue the course's certificate to these learners (None: every learner) who have
    completed it and hold none; returns how many were issued.

    Safe to run at any time, late or twice: it issues from the state it finds, under
    the learners' locks, re-reading who is complete and uncertified once they are held,
    so a parallel run, completion or undo is either seen whole or not at all; the
    unique constraint has the last word (ON CONFLICT DO NOTHING). Statements: four per
    batch of `batch_size` learners (their locked rows, their new page tokens, who is
    pending, the insert), and one more for every learner of a course (who is pending).
    """
    if user_ids is None:
        pending = certificate_pending_rows(course_id=course_id).values_list("user_id", flat=True)
    else:
        pending = sorted(set(user_ids))
    issued = 0
    for batch in batched(list(pending), batch_size):
        with transaction.atomic():
            learners_lock(user_ids=batch)
            rows = list(certificate_pending_rows(course_id=course_id, user_ids=list(batch)))
            Certificate.objects.bulk_create(
                [
                    Certificate(
                        user_id=user_id,
                        course_id=course_id,
                        completed_at=completed_at,
                        full_name=f"{first_name} {last_name}".strip(),
                    )
                    for user_id, completed_at, first_name, last_name in rows
                ],
                ignore_conflicts=True,
            )
        issued += len(rows)
    return issued


def certificates_revoke(
    *, certificates: QuerySet[Certificate], revoked_by: AbstractBaseUser, reason: str
) -> int:
    """Revoke certificates, keeping who, when and why; returns how many. A certificate
    already revoked keeps its first revocation."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why these certificates are revoked."})
    certificates = certificates.filter(revoked_at__isnull=True)
    with transaction.atomic():
        learners_lock(user_ids=set(certificates.values_list("user_id", flat=True)))
        return certificates.update(
            revoked_at=timezone.now(), revoked_by=revoked_by, revoke_reason=reason.strip()
        )


@transaction.atomic
def award_sharing_set(*, award: UserAchievement, public: bool) -> None:
    """Show the award's page to anyone with its link, or to its learner only again.

    The assertion itself stays verifiable either way: a backpack holding it checks it at
    its address, and must go on finding it.
    """
    learner_lock(user=award.user)
    UserAchievement.objects.filter(pk=award.pk).update(is_public=public)
    award.is_public = public


@transaction.atomic
def learner_name_set(*, user: AbstractBaseUser, first_name: str, last_name: str) -> None:
    """Save the learner's name, and print it on their certificates that had none (a
    name already printed stays: the certificate is what was issued)."""
    learner_lock(user=user)
    get_user_model().objects.filter(pk=user.pk).update(first_name=first_name, last_name=last_name)
    user.first_name, user.last_name = first_name, last_name
    full_name = f"{first_name} {last_name}".strip()
    Certificate.objects.filter(user=user, full_name="").update(full_name=full_name)


def learner_email_set(*, user: AbstractBaseUser, email: str) -> None:
    """Save the address the learner's badges name (hashed) as their recipient."""
    get_user_model().objects.filter(pk=user.pk).update(email=email)
    user.email = email
