"""Achievements admins define, and the ones learners unlock.

A rule is stored as plain columns (rule type, threshold, course) rather than free JSON,
so the database itself refuses an incomplete rule; `achievements.rules` gives each rule
type its meaning.

An unlock is an audit record: what triggered it, the rule as it was, who awarded it by
hand and why, and who revoked it and why. Revoking keeps the row (so the history stays
and the rules never award it to that learner again); only a manual award can.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from achievements.icons import Icon


class Rule(models.TextChoices):
    LESSONS_COMPLETED = "lessons_completed", "Lessons completed in total"
    COURSE_LESSONS_COMPLETED = "course_lessons_completed", "Lessons completed in one course"
    COURSES_COMPLETED = "courses_completed", "Courses completed"
    COURSE_COMPLETED = "course_completed", "A given course completed"
    STREAK_DAYS = "streak_days", "Lessons on consecutive days (streak)"


RULES_WITH_THRESHOLD = [
    Rule.LESSONS_COMPLETED,
    Rule.COURSE_LESSONS_COMPLETED,
    Rule.COURSES_COMPLETED,
    Rule.STREAK_DAYS,
]
RULES_WITH_COURSE = [Rule.COURSE_LESSONS_COMPLETED, Rule.COURSE_COMPLETED]
# The largest count a rule may ask for: far beyond any real course catalogue or school
# year, and small enough that every date computed from it stays in range.
THRESHOLD_MAX = 100_000
STREAK_DAYS_MAX = 3_660  # ten years of days in a row


class Achievement(models.Model):
    name = models.CharField(max_length=120, unique=True)
    public_id = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Names its Open Badges BadgeClass in public URLs (credentials).",
    )
    description = models.CharField(max_length=300)
    icon = models.CharField(max_length=40, choices=Icon.choices, default=Icon.TROPHY)
    rule = models.CharField(max_length=40, choices=Rule.choices, default=Rule.LESSONS_COMPLETED)
    threshold = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(THRESHOLD_MAX)],
        help_text="How many lessons, courses or consecutive days the rule asks for.",
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


class Trigger(models.TextChoices):
    LESSON_COMPLETION = "lesson_completion", "Lesson completion"
    TIME_ZONE_CHANGE = "time_zone_change", "Time zone change"
    BACKFILL = "backfill", "Backfill"
    MANUAL = "manual", "Manual award"


class UserAchievement(models.Model):
    """An unlocked achievement. Never revoked by undoing a lesson; only by an admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements"
    )
    # Awards are the audit trail: an achievement someone holds (or held) is deactivated,
    # not deleted.
    achievement = models.ForeignKey(Achievement, on_delete=models.PROTECT, related_name="unlocks")
    # The award as an Open Badges assertion (credentials): random, so its public URL
    # cannot be guessed; a page the learner chooses to show, private until they do.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_public = models.BooleanField(
        "public page",
        default=False,
        help_text="The learner shows this award's page to anyone with its link.",
    )
    unlocked_at = models.DateTimeField(auto_now_add=True)
    announced_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the learner was shown the toast; empty until then.",
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    trigger_lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The lesson whose completion unlocked it, for that trigger.",
    )
    rule_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The rule as it was when the award was made."
    )
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The admin who awarded it by hand.",
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was awarded by hand.")
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
        verbose_name = "unlocked achievement"
        ordering = ["-unlocked_at"]
        constraints = [
            # Revoked rows stay as history; a learner holds each achievement once at a time.
            models.UniqueConstraint(
                fields=["user", "achievement"],
                condition=Q(revoked_at__isnull=True),
                name="achievement_unlocked_once",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="manual") | ~Q(reason=""),
                name="achievement_manual_award_has_reason",
                violation_error_message="Say why this achievement is awarded by hand.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                name="achievement_revoke_has_reason",
                violation_error_message="Say why this achievement is revoked.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"],
                condition=Q(announced_at__isnull=True),
                name="achievement_unannounced",
            ),
            # The admin's newest-first list, and each achievement's holders counted.
            models.Index(fields=["unlocked_at", "id"], name="award_by_time"),
            models.Index(
                fields=["achievement", "user"],
                condition=Q(revoked_at__isnull=True),
                name="award_held_by_achievement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.achievement}"


class Backfill(models.Model):
    """One run of an achievement's backfill on the task worker, as the admin sees it:
    queued, running with how far it got, done with how many it awarded, or failed and
    why. A run is safe to repeat: learners already holding the achievement are skipped."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="backfills")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    learners = models.PositiveIntegerField(
        null=True, blank=True, help_text="Learners who qualified and did not hold it."
    )
    learners_done = models.PositiveIntegerField(default=0)
    awarded = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]
        get_latest_by = "queued_at"

    def __str__(self) -> str:
        return f"{self.achievement}: {self.get_state_display()}"
