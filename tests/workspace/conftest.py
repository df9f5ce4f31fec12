import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from recallcases.workspace.roles import ADMINISTRATOR, FULFILMENT, RECALL_MANAGER, REVIEWER
from tests.conftest import restore_roles


def member_of(role: str, username: str | None = None):
    """A staff account in one role (the groups come from the roles migration)."""
    user = get_user_model().objects.create_user(
        username=username or role.lower().replace(" ", "-"),
        password="a-long-test-password",
        is_staff=True,
    )
    restore_roles()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def reviewer(db):
    return member_of(REVIEWER)


@pytest.fixture
def fulfiller(db):
    return member_of(FULFILMENT)


@pytest.fixture
def manager(db):
    return member_of(RECALL_MANAGER)


@pytest.fixture
def administrator(db):
    return member_of(ADMINISTRATOR)


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
