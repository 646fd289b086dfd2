"""Who sees insights: superusers, staff with the permission, a course's own instructors.
Everyone else gets 404 for every insights address, and no link."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def urls(course) -> list[str]:
    return [
        reverse("insights:overview"),
        reverse("insights:course", args=[course.slug]),
        reverse("insights:learners_csv", args=[course.slug]),
        reverse("insights:summary_csv", args=[course.slug]),
    ]


@pytest.fixture
def taught(db):
    return CourseFactory(slug="taught", lessons=2)


@pytest.fixture
def other(db):
    return CourseFactory(slug="other", lessons=2)


def permission():
    return Permission.objects.get(codename="view_course_insights")


def not_allowed():
    """name -> user (None: signed out) who must see nothing of `taught`."""
    staff_with_group_not_staff = UserFactory(username="grouped")
    staff_with_group_not_staff.groups.add(Group.objects.get(name="Instructors"))
    return {
        "signed out": None,
        "learner": UserFactory(username="learner"),
        "staff without the permission": UserFactory(username="clerk", is_staff=True),
        "holder of the permission who is not staff": staff_with_group_not_staff,
    }


@pytest.mark.parametrize(
    "who",
    [
        "signed out",
        "learner",
        "staff without the permission",
        "holder of the permission who is not staff",
    ],
)
def test_everyone_else_gets_404_everywhere_and_no_link(client, taught, who):
    user = not_allowed()[who]
    if user:
        client.force_login(user)

    for url in urls(taught):
        assert client.get(url).status_code == 404, url
    if user:
        assert "Insights" not in client.get(reverse("dashboard")).text
        assert "Insights" not in client.get(reverse("catalogue")).text


def test_an_instructor_of_another_course_sees_only_theirs(client, taught, other):
    teacher = UserFactory(username="teacher")
    other.instructors.add(teacher)
    client.force_login(teacher)

    for url in urls(taught)[1:]:
        assert client.get(url).status_code == 404, url
    overview = client.get(reverse("insights:overview"))
    assert overview.status_code == 200
    assert [row.course for row in overview.context["rows"]] == [other]
    assert client.get(reverse("insights:course", args=[other.slug])).status_code == 200


@pytest.mark.parametrize(
    "who", ["instructor", "staff in the group", "staff with the permission", "superuser"]
)
def test_those_allowed_see_every_address_and_the_link(client, taught, other, who):
    if who == "instructor":
        user = UserFactory(username="teacher")  # being named is the grant
        taught.instructors.add(user)
    elif who == "staff in the group":
        user = UserFactory(username="registrar", is_staff=True)
        user.groups.add(Group.objects.get(name="Instructors"))
    elif who == "staff with the permission":
        user = UserFactory(username="dean", is_staff=True)
        user.user_permissions.add(permission())
    else:
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)

    for url in urls(taught):
        response = client.get(url)
        assert response.status_code == 200, url
    seen = {row.course for row in client.get(reverse("insights:overview")).context["rows"]}
    assert seen == ({taught} if who == "instructor" else {taught, other})
    for page in ("dashboard", "catalogue", "achievement_list", "learner_profile"):
        assert f'href="{reverse("insights:overview")}"' in client.get(reverse(page)).text, page


def test_a_course_that_does_not_exist_is_404_for_everyone(staff_client):
    assert staff_client.get(reverse("insights:course", args=["nope"])).status_code == 404
    assert staff_client.get(reverse("insights:learners_csv", args=["nope"])).status_code == 404


def test_the_migration_made_the_instructors_group_with_the_permission():
    group = Group.objects.get(name="Instructors")
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_course_insights"]


def test_the_course_admin_links_to_the_course_insights(staff_client, taught):
    page = staff_client.get(reverse("admin:courses_course_change", args=[taught.pk])).text

    assert f'href="{reverse("insights:course", args=[taught.slug])}"' in page


def test_the_course_admin_offers_no_link_to_staff_who_may_not_see_it(client, taught):
    editor = UserFactory(username="editor", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_course"))
    client.force_login(editor)

    page = client.get(reverse("admin:courses_course_change", args=[taught.pk]))

    assert page.status_code == 200
    assert reverse("insights:course", args=[taught.slug]) not in page.text


def test_instructors_are_chosen_in_the_course_admin(staff_client, taught):
    page = staff_client.get(reverse("admin:courses_course_change", args=[taught.pk])).text

    assert 'name="instructors"' in page
