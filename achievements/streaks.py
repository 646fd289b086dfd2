"""Streak arithmetic, free of queries so the live check and the backfill share it exactly.

A streak is the longest run *ever* of consecutive calendar days, in the learner's time
zone, with at least one lesson completed. "Longest ever" (not "current") is what makes
the live check and the backfill agree whenever they run, and it only grows as lessons
are completed.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


def local_days(moments: Iterable[datetime], time_zone: ZoneInfo) -> set[date]:
    """The calendar days, in `time_zone`, on which these aware moments fall."""
    return {moment.astimezone(time_zone).date() for moment in moments}


def longest_streak(days: Iterable[date]) -> int:
    """Length of the longest run of consecutive days; 0 for no days."""
    best = run = 0
    previous = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == ONE_DAY else 1
        best = max(best, run)
        previous = day
    return best
