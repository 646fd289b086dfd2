"""What each rule type means, in the three ways the app needs it.

- `rule_progress` judges one learner from `LearnerStats`, and reports "current /
  target": for display (the achievements page, from the learner's completions), for a
  full re-judging (a time zone change), and for the live check after each completion
  (from the learner's progress rows, which count their lessons per course; streak days
  read for the last days only, with `achievements.streaks`);
- `rule_qualifying_user_ids` finds every qualifying learner in bulk, for backfill, in a
  fixed number of queries whatever the number of learners.

All read the same facts (completion rows, progress rows whose course is complete, and
the learner's time zone) and, for streaks, the same arithmetic (`achievements.streaks`),
so the live check and the backfill award the same learners; tests hold them to it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.db.models import Count, QuerySet

from accounts.models import LearnerProfile
from accounts.time_zones import time_zone_get
from achievements.models import Achievement, Rule
from achievements.streaks import local_days, longest_streak
from courses.models import LessonCompletion, UserProgress

# Rows fetched per round trip while streaming completions for a streak backfill.
STREAK_CHUNK_SIZE = 5000


@dataclass(frozen=True)
class LearnerStats:
    lessons_by_course: Mapping[int, int]
    completed_course_ids: frozenset[int]
    longest_streak: int

    @property
    def lessons_total(self) -> int:
        return sum(self.lessons_by_course.values())


@dataclass(frozen=True)
class RuleProgress:
    current: int
    target: int
    unit: str

    @property
    def reached(self) -> bool:
        return self.current >= self.target

    @property
    def shown(self) -> int:
        """The count to display: never above the target ("10 / 10", not "14 / 10")."""
        return min(self.current, self.target)


def rule_progress(achievement: Achievement, stats: LearnerStats) -> RuleProgress:
    threshold = achievement.threshold
    match achievement.rule:
        case Rule.LESSONS_COMPLETED:
            return RuleProgress(stats.lessons_total, threshold, "lessons")
        case Rule.COURSE_LESSONS_COMPLETED:
            current = stats.lessons_by_course.get(achievement.course_id, 0)
            return RuleProgress(current, threshold, "lessons")
        case Rule.COURSES_COMPLETED:
            return RuleProgress(len(stats.completed_course_ids), threshold, "courses")
        case Rule.COURSE_COMPLETED:
            done = int(achievement.course_id in stats.completed_course_ids)
            return RuleProgress(done, 1, "course")
        case Rule.STREAK_DAYS:
            return RuleProgress(stats.longest_streak, threshold, "days in a row")
    raise ValueError(f"Unknown rule {achievement.rule!r}")


def rule_qualifying_user_ids(achievement: Achievement) -> set[int]:
    """Every learner who meets the rule now: one query, two for streaks."""
    completed = UserProgress.objects.filter(completed_at__isnull=False)
    match achievement.rule:
        case Rule.LESSONS_COMPLETED:
            rows = _users_with_at_least(LessonCompletion.objects.all(), achievement.threshold)
        case Rule.COURSE_LESSONS_COMPLETED:
            completions = LessonCompletion.objects.filter(lesson__course_id=achievement.course_id)
            rows = _users_with_at_least(completions, achievement.threshold)
        case Rule.COURSES_COMPLETED:
            rows = _users_with_at_least(completed, achievement.threshold)
        case Rule.COURSE_COMPLETED:
            rows = completed.filter(course_id=achievement.course_id).values("user_id")
        case Rule.STREAK_DAYS:
            return _users_with_streak(achievement.threshold)
        case _:
            raise ValueError(f"Unknown rule {achievement.rule!r}")
    return set(rows.values_list("user_id", flat=True))


def rule_describe(achievement: Achievement) -> str:
    """The rule in words, for admins and for the award's snapshot."""
    n = achievement.threshold
    match achievement.rule:
        case Rule.LESSONS_COMPLETED:
            return f"{n} lesson{'s' if n != 1 else ''} completed in total"
        case Rule.COURSE_LESSONS_COMPLETED:
            return f"{n} lesson{'s' if n != 1 else ''} completed in “{achievement.course}”"
        case Rule.COURSES_COMPLETED:
            return f"{n} course{'s' if n != 1 else ''} completed"
        case Rule.COURSE_COMPLETED:
            return f"“{achievement.course}” completed"
        case Rule.STREAK_DAYS:
            return f"Lessons completed on {n} consecutive day{'s' if n != 1 else ''}"
    raise ValueError(f"Unknown rule {achievement.rule!r}")


def rule_snapshot(achievement: Achievement) -> dict:
    """The rule as it is now, stored with each award so later edits do not rewrite history."""
    return {
        "rule": achievement.rule,
        "threshold": achievement.threshold,
        "course_id": achievement.course_id,
        "description": rule_describe(achievement),
    }


def _users_with_at_least(rows: QuerySet, threshold: int) -> QuerySet:
    return rows.values("user_id").annotate(n=Count("id")).filter(n__gte=threshold).values("user_id")


def _users_with_streak(threshold: int) -> set[int]:
    """Streams completions ordered by learner and computes streaks in Python.

    Time zones differ per learner and SQLite cannot convert per row, and doing it in
    Python with the same function as the live check keeps the two in exact agreement.
    Learners with fewer completions than the threshold cannot qualify and are skipped
    in SQL.
    """
    zones = dict(LearnerProfile.objects.exclude(time_zone="").values_list("user_id", "time_zone"))
    rows = (
        LessonCompletion.objects.filter(
            user_id__in=_users_with_at_least(LessonCompletion.objects.all(), threshold)
        )
        .order_by("user_id")
        .values_list("user_id", "completed_at")
        .iterator(chunk_size=STREAK_CHUNK_SIZE)
    )
    qualifying = set()
    for user_id, group in groupby(rows, key=lambda row: row[0]):
        zone = time_zone_get(zones.get(user_id, settings.TIME_ZONE))
        if longest_streak(local_days((at for _, at in group), zone)) >= threshold:
            qualifying.add(user_id)
    return qualifying
