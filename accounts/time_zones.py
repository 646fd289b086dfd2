"""The time zones a learner may pick: IANA's geographic zones that zoneinfo can load here.

`zoneinfo.available_timezones()` also lists what is not a place to live in: `localtime`
and `Factory` (files of the system's zone database), `posixrules`, and the legacy
aliases (`US/Eastern`, `Cuba`, `Etc/GMT+3`). Learners get the Area/Location names of
the continents and oceans, and UTC.
"""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError

AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
     "Indian", "Pacific"}
)  # fmt: skip


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name == "UTC" or (name.split("/", 1)[0] in AREAS and "/" in name)
    )


@cache
def time_zone_get(name: str) -> zoneinfo.ZoneInfo:
    """A cached ZoneInfo; an unknown or empty name falls back to the site's."""
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
