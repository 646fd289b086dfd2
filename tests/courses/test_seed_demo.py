import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from achievements.models import Achievement
from courses.models import Course, Lesson

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_builds_a_usable_demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (Course.objects.count(), Lesson.objects.count(), Achievement.objects.count())
    call_command("seed_demo")

    assert (Course.objects.count(), Lesson.objects.count(), Achievement.objects.count()) == counts
    assert authenticate(username="demo", password="demo") is not None
    admin = authenticate(username="admin", password="admin")
    assert admin is not None and admin.is_staff and admin.is_superuser
    lengths = sorted(c.lessons.count() for c in Course.objects.filter(is_published=True))
    assert len(lengths) >= 3 and lengths[0] == 1 and lengths[-1] >= 12
    assert counts[2] >= 3


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not Course.objects.exists()

    call_command("seed_demo", "--force")
    assert Course.objects.exists()
