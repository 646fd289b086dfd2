"""Who sees which course's insights.

Superusers, and staff holding "Can view course insights" (directly or through the
Instructors group), see every course. Anyone named among a course's instructors sees
that course: being named is the grant, with or without the permission, so an
instructor sees their own courses and no others. Everyone else sees none, and every
insights address answers them 404, as if it did not exist.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from courses.models import Course

PERMISSION = "courses.view_course_insights"


def sees_every_course(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """No query for a learner or a superuser; the user's permissions (two queries, once
    per request) for staff."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.is_staff and user.has_perm(PERMISSION))


def insight_courses(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Course]:
    """Every course whose insights the user may see (published or not: instructors
    prepare theirs before learners see them)."""
    if not (user.is_authenticated and user.is_active):
        return Course.objects.none()
    if sees_every_course(user=user):
        return Course.objects.all()
    return Course.objects.filter(instructors=user)


def insight_course_get(*, user: AbstractBaseUser | AnonymousUser, slug: str) -> Course:
    """The course with this slug if the user may see its insights, else 404 (whether or
    not it exists: an address says nothing to someone not allowed)."""
    course = insight_courses(user=user).filter(slug=slug).first()
    if course is None:
        raise Http404("No such course insights.")
    return course


def teaches_a_course(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and Course.objects.filter(instructors=user).exists()
    )


def can_see_insights(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user sees at least one course (the navigation's link)."""
    return sees_every_course(user=user) or teaches_a_course(user=user)
