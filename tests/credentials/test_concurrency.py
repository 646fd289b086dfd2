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


def held_at_the_learners_lock(learner, *calls):
    """Run the calls while another transaction holds the learner's lock, which it lets go
    once one of them waits for it: they all find the certificate missing, then race."""
    holding = threading.Event()

    def hold_the_lock() -> None:
        with transaction.atomic():
            learner_lock(user=learner)
            holding.set()
            wait_until_a_lock_is_awaited()

    def after(call):
        def run():
            assert holding.wait(timeout=10)
            return call()

        return run

    return in_parallel(hold_the_lock, *[after(call) for call in calls])[1:]


def test_every_issuing_task_at_once_issues_one_certificate():
    """Exactly one issues; the others find it issued under the lock (rather than a
    conflict the unique constraint would swallow)."""
    learner, course = completed_without_certificate()

    issued = held_at_the_learners_lock(
        learner,
        *[lambda: certificates_issue(course_id=course.pk, user_ids=[learner.pk])] * 3,
        *[lambda: certificates_issue(course_id=course.pk)] * 3,
    )

    assert sum(issued) == 1
    assert Certificate.objects.get().user == learner


def test_two_tabs_following_the_link_while_the_task_runs_get_one_certificate():
    """The tab whose issue finds the certificate issued by the other still shows it."""
    learner, course = completed_without_certificate()
    tabs = [Client() for _ in range(2)]
    for tab in tabs:
        tab.force_login(learner)
    link = reverse("course_certificate", args=[course.slug])

    responses = held_at_the_learners_lock(
        learner,
        *[lambda tab=tab: tab.get(link) for tab in tabs],
        lambda: certificates_issue(course_id=course.pk, user_ids=[learner.pk]),
    )

    target = reverse("certificate", args=[Certificate.objects.get().public_id])
    assert [r.status_code for r in responses[:2]] == [302, 302]
    assert [r["Location"] for r in responses[:2]] == [target, target]
