"""Read side of credentials: one query per public page, whatever the number of rows."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from achievements.models import Achievement, UserAchievement
from courses.models import Course, UserProgress
from credentials.models import Certificate


def award_get(*, public_id: UUID, user: AbstractBaseUser | None = None) -> UserAchievement | None:
    """The award behind an assertion (only if it is this learner's, given one), with what
    its documents and pages show: one query."""
    awards = UserAchievement.objects.filter(public_id=public_id)
    if user is not None:
        awards = awards.filter(user=user)
    return awards.select_related("achievement__course", "user", "trigger_lesson__course").first()


def badge_class_get(*, public_id: UUID) -> Achievement | None:
    """An achievement as a BadgeClass: active, or held by someone (an award points at it
    whatever became of it since); a draft never shown to learners is not published."""
    held = UserAchievement.objects.filter(achievement=OuterRef("pk"))
    return (
        Achievement.objects.filter(Q(is_active=True) | Exists(held), public_id=public_id)
        .select_related("course")
        .first()
    )


def revoked_awards() -> QuerySet[UserAchievement]:
    """Every revoked award, oldest revocation first, as (public_id, reason): one query."""
    return (
        UserAchievement.objects.filter(revoked_at__isnull=False)
        .order_by("revoked_at", "pk")
        .values_list("public_id", "revoke_reason")
    )


def certificate_get(*, public_id: UUID) -> Certificate | None:
    return Certificate.objects.filter(public_id=public_id).select_related("course", "user").first()


def course_get(*, slug: str) -> Course | None:
    """Any course, published or not: a certificate outlives its course's publication."""
    return Course.objects.filter(slug=slug).first()


def learner_certificate_get(*, user: AbstractBaseUser, course: Course) -> Certificate | None:
    return Certificate.objects.filter(user=user, course=course).first()


def certificate_pending_rows(
    *, course_id: int, user_ids: list[int] | None = None
) -> QuerySet[UserProgress]:
    """Learners complete in the course who hold no certificate of it, in id order, as
    (user_id, completed_at, first_name, last_name): what issuing needs, one query."""
    held = Certificate.objects.filter(user_id=OuterRef("user_id"), course_id=course_id)
    rows = UserProgress.objects.filter(course_id=course_id, completed_at__isnull=False)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    return (
        rows.exclude(Exists(held))
        .order_by("user_id")
        .values_list("user_id", "completed_at", "user__first_name", "user__last_name")
    )
