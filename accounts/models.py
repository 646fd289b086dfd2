"""The learner's own row: their settings, and the lock every write of theirs takes.

One row per learner, created with the account (`accounts.services.learner_profile_get`
creates one for an account made another way). Every write of a learner's progress or
awards runs in a transaction that first updates this row (`learner_lock`): that
serialises the learner's writes, and gives the row a new `page_token`, which retires the
learner's cached pages (`courses.page_cache`) when, and only when, the write commits.
"""

import secrets

from django.conf import settings
from django.db import models

from accounts.time_zones import validate_time_zone


def page_token_new() -> str:
    """A random token: never reused, whatever a cache restored from an old copy holds."""
    return secrets.token_hex(8)


class LearnerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile"
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Streaks count calendar days in this time zone; empty: the site's.",
    )
    username_skeleton = models.CharField(
        max_length=150,
        db_index=True,
        editable=False,
        help_text="What the username looks like (accounts.usernames): no look-alike signs up.",
    )
    page_token = models.CharField(
        max_length=16,
        default=page_token_new,
        editable=False,
        help_text="Replaced by every write of this learner: names their cached pages.",
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone or 'site time zone'})"
