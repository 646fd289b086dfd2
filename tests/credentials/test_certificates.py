"""Course certificates: issued once when a course is complete, kept, printable, verifiable
by anyone with the link, revoked by an admin with a reason."""

import io

import pytest
import segno
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError
from django.urls import reverse

from courses.models import UserProgress
from courses.services import course_completion_refresh, lesson_complete, lesson_uncomplete
from credentials.models import Certificate
from credentials.services import certificates_issue, certificates_revoke
from credentials.tasks import certificates_issue_task
from tests.credentials.helpers import complete_course
from tests.factories import CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finish(django_capture_on_commit_callbacks):
    """Complete every lesson, running what waits for the commit (the issuing task)."""

    def run(user, lessons):
        with django_capture_on_commit_callbacks(execute=True):
            complete_course(user, lessons)

    return run


def certificate_page(client, certificate, **headers):
    return client.get(reverse("certificate", args=[certificate.public_id]), **headers)


def test_completing_a_course_issues_its_certificate_once(learner, course, lessons, finish):
    type(learner).objects.filter(pk=learner.pk).update(first_name="Ada", last_name="Lovelace")
    learner.refresh_from_db()
    finish(learner, lessons)
    finish(learner, lessons)  # completing again: nothing new

    certificate = Certificate.objects.get()
    progress = UserProgress.objects.get(user=learner, course=course)
    assert (certificate.user, certificate.course) == (learner, course)
    assert certificate.full_name == "Ada Lovelace"
    assert certificate.completed_at == progress.completed_at
    assert len(certificate.number) == 14 and certificate.number.count("-") == 2


def test_no_certificate_before_the_last_lesson(learner, lessons, finish):
    finish(learner, lessons[:-1])

    assert not Certificate.objects.exists()


def test_the_task_is_safe_twice_and_late(learner, course, lessons):
    complete_course(learner, lessons)  # the test's transaction never commits: no task yet

    assert certificates_issue_task.call(course_id=course.pk, user_ids=[learner.pk]) == 1
    assert certificates_issue_task.call(course_id=course.pk, user_ids=[learner.pk]) == 0
    assert certificates_issue_task.call(course_id=course.pk, user_ids=None) == 0
    assert Certificate.objects.count() == 1


def test_a_task_arriving_after_an_undo_issues_nothing(learner, course, lessons):
    complete_course(learner, lessons)
    lesson_uncomplete(user=learner, lesson=lessons[0])

    assert certificates_issue(course_id=course.pk, user_ids=[learner.pk]) == 0


def test_the_certificate_is_kept_when_lessons_are_added(learner, course, lessons, finish):
    finish(learner, lessons)
    LessonFactory(course=course, position=99)
    course_completion_refresh(course=course)

    assert not UserProgress.objects.get(user=learner).completed_at
    assert Certificate.objects.filter(user=learner, revoked_at=None).count() == 1


def test_removing_the_last_missing_lesson_issues_to_everyone_it_completes(
    course, lessons, django_capture_on_commit_callbacks
):
    ada, grace, alan = (UserFactory(username=name) for name in ("ada", "grace", "alan"))
    complete_course(ada, lessons[:-1])
    complete_course(grace, lessons[:-1])
    complete_course(alan, lessons[:1])

    with django_capture_on_commit_callbacks(execute=True):
        lessons[-1].delete()
        course_completion_refresh(course=course)

    assert set(Certificate.objects.values_list("user__username", flat=True)) == {"ada", "grace"}


def test_a_backfill_issues_what_courses_finished_before_certificates_existed(course, lessons):
    for _ in range(5):
        complete_course(UserFactory(), lessons)  # on_commit never runs here: no certificate
    other = CourseFactory(lessons=1)
    complete_course(UserFactory(), list(other.lessons.all()))
    out = io.StringIO()

    call_command("issue_certificates", "--course", course.slug, "--batch-size", "2", stdout=out)
    assert "issued 5 certificate(s)" in out.getvalue()
    call_command("issue_certificates", stdout=out)

    assert "Intro to Testing: issued 0" in out.getvalue()
    assert Certificate.objects.count() == 6
    with pytest.raises(CommandError):
        call_command("issue_certificates", "--course", "nope")


class TestLinks:
    def test_the_dashboard_and_course_page_link_a_completed_courses_certificate(
        self, learner_client, learner, course, lessons, finish
    ):
        link = reverse("course_certificate", args=[course.slug])
        assert link not in learner_client.get(reverse("dashboard")).content.decode()
        assert link not in learner_client.get(course.get_absolute_url()).content.decode()

        finish(learner, lessons)

        assert link in learner_client.get(reverse("dashboard")).content.decode()
        assert link in learner_client.get(course.get_absolute_url()).content.decode()

    def test_the_link_asks_the_name_once_then_shows_the_certificate(
        self, learner_client, learner, course, lessons, finish
    ):
        finish(learner, lessons)
        link = reverse("course_certificate", args=[course.slug])

        asked = learner_client.get(link)
        assert asked.status_code == 302
        assert asked["Location"].startswith(reverse("credential_name"))
        assert learner_client.post(asked["Location"], {"first_name": ""}).status_code == 400
        saved = learner_client.post(
            asked["Location"], {"first_name": " Ada ", "last_name": "Lovelace", "next": link}
        )
        assert saved["Location"] == link

        shown = learner_client.get(link)
        certificate = Certificate.objects.get()
        assert shown["Location"] == reverse("certificate", args=[certificate.public_id])
        assert certificate.full_name == "Ada Lovelace"
        learner.refresh_from_db()
        assert (learner.first_name, learner.last_name) == ("Ada", "Lovelace")

    def test_a_name_printed_is_kept_when_the_learner_changes_theirs(
        self, learner_client, learner, course, lessons, finish
    ):
        finish(learner, lessons)
        learner_client.post(reverse("credential_name"), {"first_name": "Ada"})
        learner_client.post(reverse("credential_name"), {"first_name": "Augusta"})

        assert Certificate.objects.get().full_name == "Ada"

    def test_the_link_issues_the_certificate_if_the_task_has_not_run_yet(
        self, learner_client, learner, course, lessons
    ):
        type(learner).objects.filter(pk=learner.pk).update(first_name="Ada")
        complete_course(learner, lessons)  # on_commit never runs here: like a late worker

        response = learner_client.get(reverse("course_certificate", args=[course.slug]))

        assert response["Location"] == reverse(
            "certificate", args=[Certificate.objects.get().public_id]
        )

    def test_no_certificate_for_a_course_not_complete(
        self, learner_client, learner, course, lessons
    ):
        lesson_complete(user=learner, lesson=lessons[0])

        response = learner_client.get(reverse("course_certificate", args=[course.slug]))

        assert response.status_code == 404
        assert not Certificate.objects.exists()


class TestCertificatePage:
    @pytest.fixture
    def certificate(self, learner, lessons, finish):
        type(learner).objects.filter(pk=learner.pk).update(first_name="Ada", last_name="Lovelace")
        learner.refresh_from_db()
        finish(learner, lessons)
        return Certificate.objects.select_related("course").get()

    def test_anyone_with_the_link_sees_a_valid_certificate(self, client, certificate):
        response = certificate_page(client, certificate)

        html = response.content.decode()
        assert response.status_code == 200
        assert "Certificate of completion" in html and "Ada Lovelace" in html
        assert "Intro to Testing" in html and certificate.number in html
        assert certificate.completed_at.strftime("%B") in html
        assert "Verified" in html and "Revoked" not in html
        url = f"http://testserver/certificates/{certificate.public_id}/"
        assert f'<a href="{url}">{url}</a>' in html
        assert 'class="qr"' in html and "<path" in html and "style=" not in html
        assert "Print / Save as PDF" in html
        assert "no-store" not in response["Cache-Control"]

    def test_the_qr_code_encodes_the_pages_address(self, client, certificate):
        url = f"http://testserver/certificates/{certificate.public_id}/"
        expected = segno.make(url, error="m").svg_inline(
            scale=4, border=4, svgclass="qr", lineclass="qr__modules", omitsize=True
        )

        assert expected in certificate_page(client, certificate).content.decode()

    def test_its_json_ld_says_what_the_page_says(self, client, certificate):
        document = certificate_page(client, certificate, HTTP_ACCEPT="application/ld+json").json()

        assert document["@type"] == "EducationalOccupationalCredential"
        assert document["identifier"] == certificate.number
        assert document["recipient"] == {"@type": "Person", "name": "Ada Lovelace"}
        assert document["about"]["name"] == "Intro to Testing"
        assert document["revoked"] is False and document["revokedAt"] is None

    def test_a_revoked_certificate_says_so_and_when(self, client, certificate):
        admin = UserFactory(username="root", is_staff=True)
        certificates_revoke(
            certificates=Certificate.objects.all(), revoked_by=admin, reason="Exam fraud"
        )

        html = certificate_page(client, certificate).content.decode()
        assert "Revoked" in html and "Exam fraud" in html and "Verified" not in html
        assert "linkedin.com" not in html
        document = certificate_page(client, certificate, HTTP_ACCEPT="application/json").json()
        assert document["revoked"] is True and document["revocationReason"] == "Exam fraud"
        assert document["revokedAt"]

    def test_revoking_needs_a_reason_and_keeps_the_first(self, certificate):
        admin = UserFactory(username="root", is_staff=True)
        with pytest.raises(ValidationError, match="Say why"):
            certificates_revoke(
                certificates=Certificate.objects.all(), revoked_by=admin, reason=" "
            )
        assert (
            certificates_revoke(
                certificates=Certificate.objects.all(), revoked_by=admin, reason="First"
            )
            == 1
        )
        assert (
            certificates_revoke(
                certificates=Certificate.objects.all(), revoked_by=admin, reason="Second"
            )
            == 0
        )
        assert Certificate.objects.get().revoke_reason == "First"

    def test_the_admin_revokes_with_a_reason(self, client, certificate):
        admin = UserFactory(username="root", is_staff=True, is_superuser=True)
        client.force_login(admin)
        changelist = reverse("admin:credentials_certificate_changelist")
        action = {"action": "revoke_certificates", "_selected_action": [certificate.pk]}

        asked = client.post(changelist, action)
        assert asked.status_code == 200 and b"Why?" in asked.content
        assert f"{certificate.number}: {certificate.user}" in asked.text
        assert 'name="action" value="revoke_certificates"' in asked.text
        assert Certificate.objects.get().revoked_at is None
        client.post(changelist, {**action, "reason": "Issued in error"})

        revoked = Certificate.objects.get()
        assert revoked.revoked_by == admin and revoked.revoke_reason == "Issued in error"
        assert client.get(changelist, {"q": certificate.number}).status_code == 200

    def test_certificates_are_never_added_edited_or_deleted_alone(self, client, certificate):
        client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

        assert client.get(reverse("admin:credentials_certificate_add")).status_code == 403
        delete = reverse("admin:credentials_certificate_delete", args=[certificate.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert Certificate.objects.exists()

    def test_a_course_with_certificates_cannot_be_deleted(self, certificate):
        with pytest.raises(ProtectedError):
            certificate.course.delete()

    def test_the_learners_certificates_go_with_their_account(self, learner, certificate):
        learner.delete()

        assert not Certificate.objects.exists()
