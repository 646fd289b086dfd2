"""Certificates are issued once, whatever runs at the same moment (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.services import learner_lock
from courses.models import Lesson
from courses.services import lesson_complete
from credentials.models import Certificate
from credentials.services import certificates_issue
from tests.factories import CourseFactory, UserFactory
from tests.parallel import in_parallel, wait_until_a_lock_is_awaited

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def fresh(lesson_id: int) -> Lesson:
    return Lesson.objects.select_related("course").get(pk=lesson_id)


def test_parallel_completions_of_a_course_issue_one_certificate():
    """Each completion commits for real, so each enqueues (and here runs) the task."""
    learner = UserFactory(first_name="Ada")
    course = CourseFactory(lessons=6)
    lesson_ids = list(course.lessons.values_list("id", flat=True))

    in_parallel(
        *[lambda pk=pk: lesson_complete(user=learner, lesson=fresh(pk)) for pk in lesson_ids]
    )

    certificate = Certificate.objects.get()
    assert (certificate.user, certificate.course, certificate.full_name) == (learner, course, "Ada")


def completed_without_certificate():
    """A learner who completed a one-lesson course, whose certificate is not issued yet
    (as when the worker is late)."""
    learner = UserFactory(first_name="Ada")
    course = CourseFactory(lessons=1)
    lesson_complete(user=learner, lesson=fresh(course.lessons.get().pk))
    Certificate.objects.all().delete()
    return learner, course


def test_every_issuing_task_at_once_issues_one_certificate():
    """Tasks for the learner and for the whole course, all held at the learner's lock until
    one waits, then let go together: exactly one issues, the others find it issued under
    the lock (rather than a conflict the unique constraint would swallow)."""
    learner, course = completed_without_certificate()
    holding = threading.Event()

    def hold_the_lock() -> int:
        with transaction.atomic():
            learner_lock(user=learner)
            holding.set()
            wait_until_a_lock_is_awaited()
        return 0

    def after_the_lock(**kwargs):
        def run() -> int:
            assert holding.wait(timeout=10)
            return certificates_issue(course_id=course.pk, **kwargs)

        return run

    issued = in_parallel(
        hold_the_lock,
        *[after_the_lock(user_ids=[learner.pk]) for _ in range(3)],
        *[after_the_lock() for _ in range(3)],
    )

    assert sum(issued) == 1
    assert Certificate.objects.get().user == learner


def test_two_tabs_following_the_link_while_the_task_runs_get_one_certificate():
    learner, course = completed_without_certificate()
    tabs = [Client() for _ in range(2)]
    for tab in tabs:
        tab.force_login(learner)
    link = reverse("course_certificate", args=[course.slug])

    responses = in_parallel(
        *[lambda tab=tab: tab.get(link) for tab in tabs],
        lambda: certificates_issue(course_id=course.pk, user_ids=[learner.pk]),
    )

    certificate = Certificate.objects.get()
    target = reverse("certificate", args=[certificate.public_id])
    assert [r["Location"] for r in responses[:2]] == [target, target]
