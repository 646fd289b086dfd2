"""What each rule type means, in the two ways the app needs it.

- `rule_progress` judges one learner from `LearnerStats` (fetched once per check, in a
  fixed number of queries, whatever the number of achievements);
- `rule_qualifying_user_ids` finds every qualifying learner in one query, for backfill.

Both read the same facts (completion rows, and progress rows whose course is complete),
so the live check and the backfill award the same learners; tests hold them to it.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from achievements.models import Achievement, Rule
from courses.models import LessonCompletion, UserProgress


@dataclass(frozen=True)
class LearnerStats:
    lessons_by_course: Mapping[int, int]
    completed_course_ids: frozenset[int]

    @property
    def lessons_total(self) -> int:
        return sum(self.lessons_by_course.values())


@dataclass(frozen=True)
class RuleProgress:
    current: int
    target: int

    @property
    def reached(self) -> bool:
        return self.current >= self.target

    @property
    def shown(self) -> int:
        """The count to display: never above the target ("10 / 10", not "14 / 10")."""
        return min(self.current, self.target)


def rule_progress(achievement: Achievement, stats: LearnerStats) -> RuleProgress:
    match achievement.rule:
        case Rule.LESSONS_COMPLETED:
            return RuleProgress(stats.lessons_total, achievement.threshold)
        case Rule.COURSE_LESSONS_COMPLETED:
            current = stats.lessons_by_course.get(achievement.course_id, 0)
            return RuleProgress(current, achievement.threshold)
        case Rule.COURSES_COMPLETED:
            return RuleProgress(len(stats.completed_course_ids), achievement.threshold)
        case Rule.COURSE_COMPLETED:
            return RuleProgress(int(achievement.course_id in stats.completed_course_ids), 1)
    raise ValueError(f"Unknown rule {achievement.rule!r}")


def rule_qualifying_user_ids(achievement: Achievement) -> QuerySet:
    """A `user_id` values queryset of every learner who meets the rule now."""
    completed = UserProgress.objects.filter(completed_at__isnull=False)
    match achievement.rule:
        case Rule.LESSONS_COMPLETED:
            return _users_with_at_least(LessonCompletion.objects.all(), achievement.threshold)
        case Rule.COURSE_LESSONS_COMPLETED:
            completions = LessonCompletion.objects.filter(lesson__course_id=achievement.course_id)
            return _users_with_at_least(completions, achievement.threshold)
        case Rule.COURSES_COMPLETED:
            return _users_with_at_least(completed, achievement.threshold)
        case Rule.COURSE_COMPLETED:
            return completed.filter(course_id=achievement.course_id).values("user_id")
    raise ValueError(f"Unknown rule {achievement.rule!r}")


def _users_with_at_least(rows: QuerySet, threshold: int) -> QuerySet:
    return rows.values("user_id").annotate(n=Count("id")).filter(n__gte=threshold).values("user_id")
