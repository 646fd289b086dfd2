"""The time zones a learner may pick: exactly the IANA names zoneinfo can load here."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def time_zone_get(name: str) -> zoneinfo.ZoneInfo:
    """A cached ZoneInfo; an unknown name (say, removed from tzdata) falls back to the site's."""
    if name not in time_zone_names():
        name = settings.TIME_ZONE
    return zoneinfo.ZoneInfo(name)


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            "Choose a time zone from the list, such as Europe/Paris.", code="invalid_time_zone"
        )
