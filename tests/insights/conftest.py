import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def insights_staff(db):
    """Staff in the Instructors group (made by the migration): every course."""
    user = UserFactory(username="registrar", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    return user


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client
