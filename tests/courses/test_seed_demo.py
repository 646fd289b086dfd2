import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from achievements.models import Achievement, Trigger, UserAchievement
from achievements.selectors import achievement_award_pending_user_ids, learner_stats_get
from achievements.services import announcements_claim
from courses.models import Course, Lesson, LessonCompletion, UserProgress
from courses.services import progress_recompute
from credentials.models import Certificate
from tests.achievements.helpers import backfilled_from_scratch

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


PROGRESS_FIELDS = (
    "user_id", "course_id", "lessons_done", "current_lesson_id", "started_at", "completed_at",
)  # fmt: skip
AWARD_FIELDS = (
    "user_id", "achievement_id", "unlocked_at", "announced_at", "trigger", "trigger_lesson_id",
)  # fmt: skip


def state() -> dict:
    """Everything the seed writes, as comparable values."""
    return {
        "users": sorted(get_user_model().objects.values_list("username", "date_joined")),
        "completions": sorted(
            LessonCompletion.objects.values_list("user_id", "lesson_id", "completed_at")
        ),
        "progress": sorted(UserProgress.objects.values_list(*PROGRESS_FIELDS)),
        "awards": sorted(UserAchievement.objects.values_list(*AWARD_FIELDS)),
        "courses": Course.objects.count(),
        "lessons": Lesson.objects.count(),
        "achievements": Achievement.objects.count(),
    }


def test_seed_demo_is_idempotent_and_builds_a_usable_demo(seeded):
    before = state()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert state() == before
    assert authenticate(username="demo", password="demo") is not None
    admin = authenticate(username="admin", password="admin")
    assert admin is not None and admin.is_staff and admin.is_superuser
    lengths = sorted(c.lessons.count() for c in Course.objects.filter(is_published=True))
    assert len(lengths) >= 3 and lengths[0] == 1 and lengths[-1] >= 12
    assert before["achievements"] >= 3


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not Course.objects.exists()

    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Course.objects.exists()


def test_the_demo_learner_is_part_way_through_two_courses_with_a_streak(seeded, client):
    demo = get_user_model().objects.get(username="demo")
    rows = {
        row.course.slug: row
        for row in UserProgress.objects.filter(user=demo).select_related("course", "current_lesson")
    }

    assert {slug: row.lessons_done for slug, row in rows.items()} == {
        "welcome-to-the-platform": 1,
        "python-foundations": 4,
        "web-development-with-django": 6,
    }
    assert rows["welcome-to-the-platform"].completed_at is not None
    assert rows["python-foundations"].current_lesson.slug == "conditions"
    assert rows["web-development-with-django"].current_lesson.slug == "authentication"
    held = UserAchievement.objects.filter(user=demo)
    assert set(held.values_list("achievement__name", flat=True)) == {
        "First steps", "Getting going", "Course finisher",
    }  # fmt: skip
    assert announcements_claim(user=demo) == []  # no toast on the first visit
    now = timezone.now()
    moments = LessonCompletion.objects.filter(user=demo).values_list("completed_at", flat=True)
    assert all(now - timedelta(days=7) < at < now for at in moments)
    assert learner_stats_get(user=demo).longest_streak >= 7  # a lesson a day this week
    assert demo.date_joined < min(moments)

    client.force_login(demo)
    html = client.get(reverse("dashboard")).text
    mine, explore = html.split('id="explore"')
    bars = r'aria-label="([^"]+) progress"[^>]*aria-valuenow="(\d+)"'
    assert re.findall(bars, mine, flags=re.S) == [
        ("Python foundations", "57"),
        ("Web development with Django", "42"),
    ]
    assert re.findall(bars, explore, flags=re.S) == [("Writing accessible interfaces", "0")]
    assert "Achievement unlocked" not in html


def test_the_school_is_varied_and_recent(seeded):
    learners = get_user_model().objects.filter(username__regex=r"^learner\d{3}$")
    assert learners.count() == 300
    assert not any(user.has_usable_password() for user in learners)
    now = timezone.now()
    rows = UserProgress.objects.filter(user__in=learners)
    completions = LessonCompletion.objects.filter(user__in=learners)

    assert learners.exclude(course_progress__isnull=False).count() >= 20  # never started
    assert completions.filter(completed_at__gte=now - timedelta(days=7)).count() >= 50
    assert completions.filter(completed_at__lt=now - timedelta(days=60)).exists()
    assert not completions.filter(completed_at__gt=now).exists()
    assert not completions.filter(completed_at__lt=now - timedelta(days=95)).exists()
    for course in Course.objects.filter(lessons__position=2).distinct():
        theirs = rows.filter(course=course)
        assert theirs.filter(completed_at__isnull=False).count() >= 10  # some finish
        # Others stall part-way, at different lessons.
        stalled = theirs.filter(completed_at=None).values_list("lessons_done", flat=True)
        assert len(set(stalled)) >= 2
    django = rows.filter(course__slug="web-development-with-django", completed_at=None)
    assert len(set(django.values_list("lessons_done", flat=True))) >= 6
    # Different paces: learners who finished Python took from a day to several weeks.
    python = rows.filter(course__slug="python-foundations", completed_at__isnull=False)
    days = [(row.completed_at - row.started_at).days for row in python]
    assert min(days) <= 2 and max(days) >= 14


def test_the_history_is_what_the_apps_own_writes_leave(seeded, django_capture_on_commit_callbacks):
    totals = Counter(Lesson.objects.values_list("course_id", flat=True))
    lessons = {c.pk: list(c.lessons.order_by("position")) for c in Course.objects.all()}
    done = {}
    for user_id, lesson_id, course_id, at in LessonCompletion.objects.values_list(
        "user_id", "lesson_id", "lesson__course_id", "completed_at"
    ):
        done.setdefault((user_id, course_id), {})[lesson_id] = at
    rows = list(UserProgress.objects.all())

    assert {(row.user_id, row.course_id) for row in rows} == set(done)
    for row in rows:
        theirs = done[(row.user_id, row.course_id)]
        assert row.lessons_done == len(theirs)
        assert row.started_at == min(theirs.values())
        if row.lessons_done == totals[row.course_id]:
            assert row.completed_at == max(theirs.values()) and row.current_lesson_id is None
        else:
            assert row.completed_at is None
            first_left = next(les for les in lessons[row.course_id] if les.pk not in theirs)
            assert row.current_lesson_id == first_left.pk

    # The services' own recomputation finds nothing to correct.
    before = state()
    for course in Course.objects.all():
        progress_recompute(course=course)
    assert state() == before

    # Awards: what the rules give, each dated at the completion that met its rule.
    first_steps, getting_going, finisher = (
        Achievement.objects.get(name=name)
        for name in ("First steps", "Getting going", "Course finisher")
    )
    by_user = {}
    for user_id, at, lesson_id in LessonCompletion.objects.order_by("completed_at").values_list(
        "user_id", "completed_at", "lesson_id"
    ):
        by_user.setdefault(user_id, []).append((at, lesson_id))
    awards = UserAchievement.objects.all()
    assert awards.count() > 300
    assert not awards.filter(announced_at=None).exists()
    for award in awards:
        assert award.trigger == Trigger.LESSON_COMPLETION
        assert award.announced_at == award.unlocked_at
        assert (award.unlocked_at, award.trigger_lesson_id) in by_user[award.user_id]
        if award.achievement == first_steps:
            assert (award.unlocked_at, award.trigger_lesson_id) == by_user[award.user_id][0]
        if award.achievement == getting_going:
            assert (award.unlocked_at, award.trigger_lesson_id) == by_user[award.user_id][4]
        if award.achievement == finisher:
            first_done = min(
                r.completed_at for r in rows if r.user_id == award.user_id and r.completed_at
            )
            assert award.unlocked_at == first_done
    for achievement in Achievement.objects.all():
        assert achievement_award_pending_user_ids(achievement=achievement) == []
    held = set(awards.values_list("user_id", "achievement_id"))
    assert backfilled_from_scratch() == held

    # Finishers get their certificates once the seed commits, as after a completion.
    Certificate.objects.all().delete()
    UserProgress.objects.all().delete()
    LessonCompletion.objects.all().delete()
    UserAchievement.objects.all().delete()
    get_user_model().objects.filter(username__startswith="learner").delete()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    finished = UserProgress.objects.filter(completed_at__isnull=False)
    assert set(Certificate.objects.values_list("user_id", "course_id", "completed_at")) == set(
        finished.values_list("user_id", "course_id", "completed_at")
    )


def test_the_school_is_the_same_every_time(settings):
    """Seeded randomness: the same learners, courses and counts on every fresh database."""
    settings.DEBUG = True

    def school():
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        return sorted(
            (username, slug, done, completed is not None)
            for username, slug, done, completed in UserProgress.objects.values_list(
                "user__username", "course__slug", "lessons_done", "completed_at"
            )
        )

    first = school()
    get_user_model().objects.filter(username__startswith="learner").delete()
    UserProgress.objects.filter(user__username="demo").delete()
    LessonCompletion.objects.filter(user__username="demo").delete()
    UserAchievement.objects.filter(user__username="demo").delete()
    assert school() == first


def test_the_instructor_sees_the_insights_of_the_two_courses_they_teach_only(seeded, client):
    assert client.login(username="instructor", password="instructor")

    overview = client.get(reverse("insights:overview"))

    taught = Course.objects.filter(instructors__username="instructor")
    assert sorted(taught.values_list("slug", flat=True)) == [
        "python-foundations",
        "writing-accessible-interfaces",
    ]
    shown = {row.course.slug for row in overview.context["rows"]}
    assert shown == set(taught.values_list("slug", flat=True))
    assert client.get(reverse("insights:course", args=["python-foundations"])).status_code == 200
    not_taught = reverse("insights:course", args=["web-development-with-django"])
    assert client.get(not_taught).status_code == 404
    assert client.get(reverse("admin:index")).status_code == 302  # not staff: no admin
