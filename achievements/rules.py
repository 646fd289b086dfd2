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

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum, Value

from accounts.models import LearnerProfile
from accounts.time_zones import time_zone_get
from achievements.models import Achievement, Rule
from achievements.streaks import local_days, longest_streak
from courses.models import LessonCompletion, UserProgress

logger = logging.getLogger(__name__)

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


def rule_values(*, rule: str, course_id: int | None = None) -> dict[int, int]:
    """Each learner's count for a rule type (`rule_progress(...).current`), in bulk: one
    query over the learners' progress rows (which count their lessons per course), or
    for streaks one statement over the completions on PostgreSQL. Learners at 0 are left
    out. What a backfill, its preview and the dry run judge every learner by."""
    progress = UserProgress.objects.order_by()
    match rule:
        case Rule.LESSONS_COMPLETED:
            rows = (
                progress.values("user_id")
                .annotate(n=Sum("lessons_done"))
                .values_list("user_id", "n")
            )
        case Rule.COURSE_LESSONS_COMPLETED:
            rows = progress.filter(course_id=course_id).values_list("user_id", "lessons_done")
        case Rule.COURSES_COMPLETED:
            rows = (
                progress.filter(completed_at__isnull=False)
                .values("user_id")
                .annotate(n=Count("pk"))
                .values_list("user_id", "n")
            )
        case Rule.COURSE_COMPLETED:
            rows = progress.filter(course_id=course_id, completed_at__isnull=False).values_list(
                "user_id", Value(1)
            )
        case Rule.STREAK_DAYS:
            return learners_longest_streaks()
        case _:
            raise ValueError(f"Unknown rule {rule!r}")
    return {user_id: n for user_id, n in rows if n}


def rule_qualifying_user_ids(
    achievement: Achievement, values: Mapping[int, int] | None = None
) -> set[int]:
    """Every learner who meets the rule now; `values`, if given, are `rule_values` of its
    rule and course, counted once for several achievements (the dry run)."""
    if values is None:
        values = rule_values(rule=achievement.rule, course_id=achievement.course_id)
    target = achievement.threshold or 1
    return {user_id for user_id, n in values.items() if n >= target}


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


def rule_reached(achievement: Achievement, stats: LearnerStats) -> bool:
    """Whether the rule is met; a rule that cannot be judged (stored outside the form)
    is logged and skipped, never a failed completion."""
    try:
        return rule_progress(achievement, stats).reached
    except (TypeError, ValueError):
        logger.exception("Achievement %s skipped: its rule cannot be judged", achievement.id)
        return False


def rule_snapshot(achievement: Achievement) -> dict:
    """The rule as it is now, stored with each award so later edits do not rewrite history."""
    return {
        "rule": achievement.rule,
        "threshold": achievement.threshold,
        "course_id": achievement.course_id,
        "description": rule_describe(achievement),
    }


# The app's one raw statement: the longest streak of every learner, in their own time
# zone, as runs of consecutive local days (gaps and islands: days minus their rank are
# equal along a run). The ORM can group by neither a time zone conversion per row nor a
# window's result. A zone PostgreSQL does not know counts in the site's, as in Python.
LONGEST_STREAKS_SQL = """
WITH zone AS (SELECT name FROM pg_timezone_names),
day AS (
    SELECT DISTINCT c.user_id, (c.completed_at AT TIME ZONE COALESCE(z.name, %s))::date AS day
    FROM {completion} c
    LEFT JOIN {profile} p ON p.user_id = c.user_id
    LEFT JOIN zone z ON z.name = p.time_zone
), run AS (
    SELECT user_id, day - (ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY day))::integer AS start
    FROM day
)
SELECT user_id, MAX(days) FROM (
    SELECT user_id, start, COUNT(*) AS days FROM run GROUP BY user_id, start
) runs GROUP BY user_id
"""


def learners_longest_streaks() -> dict[int, int]:
    """Every learner's longest streak (README "Streaks"), learners without one left out.

    On PostgreSQL in SQL (`LONGEST_STREAKS_SQL`); elsewhere (SQLite cannot convert time
    zones) every completion is read once, in learner order, and counted in Python with
    `achievements.streaks`, as the live check counts. Tests hold the two to the same
    answer on random histories.
    """
    if connection.vendor == "postgresql":
        sql = LONGEST_STREAKS_SQL.format(
            completion=connection.ops.quote_name(LessonCompletion._meta.db_table),
            profile=connection.ops.quote_name(LearnerProfile._meta.db_table),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [settings.TIME_ZONE])
            return dict(cursor.fetchall())
    zones = dict(LearnerProfile.objects.exclude(time_zone="").values_list("user_id", "time_zone"))
    rows = (
        LessonCompletion.objects.order_by("user_id")
        .values_list("user_id", "completed_at")
        .iterator(chunk_size=STREAK_CHUNK_SIZE)
    )
    longest = {}
    for user_id, group in groupby(rows, key=lambda row: row[0]):
        zone = time_zone_get(zones.get(user_id, settings.TIME_ZONE))
        longest[user_id] = longest_streak(local_days((at for _, at in group), zone))
    return longest
