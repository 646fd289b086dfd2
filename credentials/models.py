"""Course certificates: one per learner and course, issued when the course is complete.

A certificate is a record that leaves the site (printed, linked, scanned), so it is kept
as issued: the name as printed, the completion date, a number to quote; lessons added
to the course later change nothing, and only an admin revokes one, with a reason, as
awards are revoked. Badges need no model here: every award (`UserAchievement`) is an
Open Badges assertion already (`credentials.documents`).
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Crockford's base32: no I, L, O or U, so a number read aloud or typed is not misread.
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def certificate_number_new() -> str:
    """A random number like 7K3Q-M9TX-2BHD: 60 bits, so even among millions a collision is
    about one in a million (the unique constraint still refuses one)."""
    chars = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


class Certificate(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=14, unique=True, default=certificate_number_new)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    # A course someone holds a certificate of is unpublished, not deleted: the
    # certificate's page must go on answering whoever checks it.
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="certificates"
    )
    full_name = models.CharField(
        max_length=301,
        blank=True,
        help_text="The learner's name as printed; asked once when their account had none.",
    )
    completed_at = models.DateTimeField(help_text="When the learner completed the course.")
    issued_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="certificate_once_per_course"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                name="certificate_revoke_has_reason",
                violation_error_message="Say why this certificate is revoked.",
            ),
        ]
        indexes = [models.Index(fields=["issued_at"], name="certificate_issued_at")]

    def __str__(self) -> str:
        return f"{self.number}: {self.user} completed {self.course}"
