"""Achievements admins define, and the ones learners unlock.

A rule is stored as plain columns (rule type, threshold, course) rather than free JSON,
so the database itself refuses an incomplete rule; `achievements.rules` gives each rule
type its meaning.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from achievements.icons import Icon


class Rule(models.TextChoices):
    LESSONS_COMPLETED = "lessons_completed", "Lessons completed in total"
    COURSE_LESSONS_COMPLETED = "course_lessons_completed", "Lessons completed in one course"
    COURSES_COMPLETED = "courses_completed", "Courses completed"
    COURSE_COMPLETED = "course_completed", "A given course completed"


RULES_WITH_THRESHOLD = [
    Rule.LESSONS_COMPLETED,
    Rule.COURSE_LESSONS_COMPLETED,
    Rule.COURSES_COMPLETED,
]
RULES_WITH_COURSE = [Rule.COURSE_LESSONS_COMPLETED, Rule.COURSE_COMPLETED]


class Achievement(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300)
    icon = models.CharField(max_length=40, choices=Icon.choices, default=Icon.TROPHY)
    rule = models.CharField(max_length=40, choices=Rule.choices, default=Rule.LESSONS_COMPLETED)
    threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many lessons or courses the rule asks for."
    )
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="achievements",
        help_text="The course the rule is about, for rules about one course.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive achievements are neither shown nor awarded."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rule__in=RULES_WITH_THRESHOLD, threshold__gte=1)
                | (~Q(rule__in=RULES_WITH_THRESHOLD) & Q(threshold__isnull=True)),
                name="achievement_threshold_matches_rule",
                violation_error_message="This rule needs a threshold of at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(rule__in=RULES_WITH_COURSE, course__isnull=False)
                | (~Q(rule__in=RULES_WITH_COURSE) & Q(course__isnull=True)),
                name="achievement_course_matches_rule",
                violation_error_message="This rule needs a course, and only this rule.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserAchievement(models.Model):
    """An unlocked achievement. Never revoked by undoing a lesson."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements"
    )
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="unlocks")
    unlocked_at = models.DateTimeField(auto_now_add=True)
    announced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the learner was shown the toast; empty until then.",
    )

    class Meta:
        verbose_name = "unlocked achievement"
        ordering = ["-unlocked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "achievement"], name="achievement_unlocked_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"],
                condition=Q(announced_at__isnull=True),
                name="achievement_unannounced",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.achievement}"
