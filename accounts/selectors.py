"""Read side of accounts."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from accounts.models import LearnerProfile


def learner_time_zone_name(*, user: AbstractBaseUser) -> str:
    """The learner's chosen time zone, or the site's when they never chose one."""
    chosen = LearnerProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return chosen or settings.TIME_ZONE
