"""An admin deleting a learner's rows, in every way the admin allows, leaves progress and
awards true (issue 14: defects 2, 3 and 4)."""

import pytest
from django.urls import reverse

from achievements.models import Rule, UserAchievement
from achievements.services import achievement_awards_revoke
from courses.models import LessonCompletion, UserProgress
from courses.services import lesson_complete
from tests.factories import AchievementFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_finished(learner):
    """The learner finished two four-lesson courses; a third waits."""
    courses = [CourseFactory(lessons=4) for _ in range(3)]
    for course in courses[:2]:
        for lesson in course.lessons.order_by("position"):
            lesson_complete(user=learner, lesson=lesson)
    return courses


def test_deleting_a_completion_reopens_the_course_and_awards_nothing_wrongly(
    admin_client, learner, two_finished
):
    """The tester's case: 4/4, one completion deleted in the admin, then three courses
    'completed' were awarded with only two really complete."""
    three_courses = AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=3)
    first, _, third = two_finished
    completion = LessonCompletion.objects.get(
        user=learner, lesson=first.lessons.order_by("position")[1]
    )

    response = admin_client.post(
        reverse("admin:courses_lessoncompletion_delete", args=[completion.pk]), {"post": "yes"}
    )
    assert response.status_code == 302

    row = UserProgress.objects.get(user=learner, course=first)
    assert (row.completed_at, row.lessons_done) == (None, 3)
    assert row.current_lesson == completion.lesson
    for lesson in third.lessons.order_by("position"):
        result = lesson_complete(user=learner, lesson=lesson)
    assert result.course_completed
    assert three_courses not in result.achievements_unlocked
    assert not UserAchievement.objects.filter(achievement=three_courses).exists()


def test_bulk_deleting_completions_brings_every_learners_progress_in_line(
    admin_client, learner, two_finished
):
    other = UserFactory()
    first = two_finished[0]
    first_two = list(first.lessons.order_by("position")[:2])
    for lesson in first_two:
        lesson_complete(user=other, lesson=lesson)
    doomed = LessonCompletion.objects.filter(lesson__in=first_two)
    assert doomed.count() == 4

    response = admin_client.post(
        reverse("admin:courses_lessoncompletion_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(doomed.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert response.status_code == 302

    assert not doomed.exists()
    mine = UserProgress.objects.get(user=learner, course=first)
    theirs = UserProgress.objects.get(user=other, course=first)
    assert (mine.lessons_done, mine.completed_at) == (2, None)
    assert (theirs.lessons_done, theirs.completed_at) == (0, None)
    # Finished, the learner had nowhere to continue: now the first lesson left. The
    # other learner's place was still to do: it stays.
    assert mine.current_lesson == first_two[0]
    assert theirs.current_lesson == first.lessons.order_by("position")[2]
    # The second course, untouched, stays finished.
    assert UserProgress.objects.get(user=learner, course=two_finished[1]).completed_at


def test_progress_rows_cannot_be_deleted_in_the_admin(admin_client, learner, two_finished):
    """A deleted row made the dashboard offer "Start" while the course page counted the
    learner's completions: rows go with their course or their learner, never alone."""
    row = UserProgress.objects.filter(user=learner).first()

    page = admin_client.get(reverse("admin:courses_userprogress_delete", args=[row.pk]))
    posted = admin_client.post(
        reverse("admin:courses_userprogress_delete", args=[row.pk]), {"post": "yes"}
    )
    listing = admin_client.get(reverse("admin:courses_userprogress_changelist"))

    assert page.status_code == posted.status_code == 403
    assert 'value="delete_selected"' not in listing.text
    assert UserProgress.objects.filter(pk=row.pk).exists()


def test_awards_cannot_be_deleted_in_the_admin_so_revocation_holds(
    admin_client, admin_user, learner, two_finished
):
    first_steps = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    award = UserAchievement.objects.create(
        user=learner, achievement=first_steps, trigger="backfill"
    )
    achievement_awards_revoke(
        awards=UserAchievement.objects.filter(pk=award.pk), revoked_by=admin_user, reason="Test"
    )

    page = admin_client.get(reverse("admin:achievements_userachievement_delete", args=[award.pk]))
    posted = admin_client.post(
        reverse("admin:achievements_userachievement_delete", args=[award.pk]), {"post": "yes"}
    )
    listing = admin_client.get(reverse("admin:achievements_userachievement_changelist"))
    assert page.status_code == posted.status_code == 403
    assert 'value="delete_selected"' not in listing.text

    lesson_complete(user=learner, lesson=two_finished[2].lessons.first())
    assert list(UserAchievement.objects.filter(achievement=first_steps)) == [award]


def test_an_achievement_someone_holds_cannot_be_deleted_only_deactivated(
    admin_client, learner, two_finished
):
    held = AchievementFactory(rule=Rule.LESSONS_COMPLETED, threshold=1)
    UserAchievement.objects.create(user=learner, achievement=held, trigger="backfill")

    response = admin_client.post(
        reverse("admin:achievements_achievement_delete", args=[held.pk]), {"post": "yes"}
    )

    assert "Cannot delete achievement" in response.text
    assert UserAchievement.objects.filter(achievement=held).exists()


def test_deleting_a_learner_deletes_their_rows_and_breaks_no_one_else(
    admin_client, learner, two_finished
):
    other = UserFactory()
    lesson = two_finished[0].lessons.first()
    lesson_complete(user=other, lesson=lesson)

    response = admin_client.post(
        reverse("admin:auth_user_delete", args=[learner.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not LessonCompletion.objects.filter(user_id=learner.pk).exists()
    assert lesson_complete(user=other, lesson=lesson.course.lessons.last()).changed


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_admin_deletions_racing_completions_leave_every_row_true():
    """Real threads: an admin bulk-deletes completions (through the admin's own views)
    while their learners complete other lessons in parallel. Afterwards every progress
    row equals its recomputation from the completions, and the learners' pages say so."""
    from django.test import Client

    from tests.parallel import in_parallel
    from tests.test_invariants import (
        _assert_pages_show_the_database,
        _assert_progress_rows_are_their_recomputation,
    )

    admin = UserFactory(is_staff=True, is_superuser=True)
    learners = UserFactory.create_batch(3)
    courses = [CourseFactory(lessons=4), CourseFactory(lessons=4)]
    AchievementFactory(rule=Rule.COURSES_COMPLETED, threshold=2)
    for learner in learners:
        for lesson in courses[0].lessons.select_related("course"):
            lesson_complete(user=learner, lesson=lesson)
    doomed = list(
        LessonCompletion.objects.filter(lesson__course=courses[0]).values_list("pk", flat=True)
    )[::2]

    def admin_deletes() -> int:
        client = Client()
        client.force_login(admin)
        response = client.post(
            reverse("admin:courses_lessoncompletion_changelist"),
            {"action": "delete_selected", "_selected_action": doomed, "post": "yes"},
        )
        return response.status_code

    def complete(learner) -> None:
        for lesson in courses[1].lessons.select_related("course"):
            lesson_complete(user=learner, lesson=lesson)

    statuses = in_parallel(admin_deletes, *[lambda u=u: complete(u) for u in learners])

    assert statuses[0] == 302
    assert not LessonCompletion.objects.filter(pk__in=doomed).exists()
    _assert_progress_rows_are_their_recomputation()
    _assert_pages_show_the_database(learners, courses)
    for learner in learners:  # no completion of theirs was lost in the race
        assert UserProgress.objects.get(user=learner, course=courses[1]).completed_at
