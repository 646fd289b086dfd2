"""Courses, their lessons, and each learner's progress through them.

Progress is stored as one row per completed lesson (never an array of ids), so the
database's unique constraint makes a completion happen at most once, and deleting a
lesson deletes its completions: a removed lesson is never counted.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import page_token_new


class Course(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    thumbnail = models.ImageField(upload_to="course-thumbnails/", blank=True)
    is_published = models.BooleanField(
        "published", default=False, help_text="Only published courses are shown to learners."
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Courses are listed by this number, then by title."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="courses_taught",
        blank=True,
        help_text="They see this course's insights (funnel, stalled learners, exports).",
    )

    class Meta:
        ordering = ["position", "title"]
        indexes = [models.Index(fields=["is_published", "position"])]
        permissions = [("view_course_insights", "Can view course insights")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("course_detail", kwargs={"course_slug": self.slug})


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    body = models.TextField(blank=True)
    position = models.PositiveIntegerField(help_text="Order of the lesson within its course.")

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_slug_unique_in_course"),
            models.UniqueConstraint(
                fields=["course", "position"], name="lesson_position_unique_in_course"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "lesson_detail", kwargs={"course_slug": self.course.slug, "lesson_slug": self.slug}
        )


class UserProgress(models.Model):
    """One learner's enrolment in one course: when it started and when it was finished.

    A summary of their completions in the course, kept in line with them by every write
    (`courses.services`): under the learner's lock for their own completions, and by
    `progress_recompute` after lessons or completions are deleted. The dashboard, the
    live achievement check and course insights read it instead of the completions.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_progress"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="progress")
    current_lesson = models.ForeignKey(
        Lesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where 'Continue' takes the learner: the next lesson not completed yet.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the course was finished; set while every lesson is completed.",
    )
    lessons_done = models.PositiveIntegerField(
        default=0, help_text="How many of the course's lessons the learner has completed."
    )
    last_activity_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the learner's newest completion in the course still standing was made.",
    )

    class Meta:
        verbose_name = "course progress"
        verbose_name_plural = "course progress"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="progress_unique_per_course"),
        ]
        indexes = [
            models.Index(fields=["started_at", "id"], name="progress_by_time"),
            # Insights: a course's learners active lately, or stalled (not active lately).
            models.Index(fields=["course", "last_activity_at"], name="progress_by_activity"),
            # Insights: courses finished week by week (the overview's trend).
            models.Index(fields=["completed_at", "course"], name="progress_by_completion"),
            # Insights: each course's median time to finish, read from the index alone
            # (the times are key columns, not INCLUDE: SQLite has no covering indexes).
            models.Index(
                fields=["course", "lessons_done", "started_at", "completed_at"],
                condition=models.Q(completed_at__isnull=False),
                name="progress_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="completion_unique_per_lesson"),
        ]
        indexes = [
            # The admin's newest-first list reads a page, not the table.
            models.Index(fields=["completed_at", "id"], name="completion_by_time"),
            # Insights: a course's completions day by day, each lesson's counted.
            models.Index(fields=["lesson", "completed_at"], name="completion_by_lesson_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.lesson}"


class ContentToken(models.Model):
    """One row, replaced by every edit of courses, lessons or achievements: it names every
    learner's cached pages with the learner's own token (`courses.page_cache`)."""

    token = models.CharField(max_length=16, default=page_token_new)

    def __str__(self) -> str:
        return self.token
