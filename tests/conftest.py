"""Fixtures shared by the whole suite."""

import json
import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from recallcases.recalls.demo import POWER_BANK_FILE, demo_recall_load
from recallcases.workspace.roles import (
    ADMINISTRATOR,
    FULFILMENT,
    RECALL_MANAGER,
    REVIEWER,
    ROLES,
    roles_sync,
)

IN_CI = bool(os.environ.get("CI"))


def require(available: bool, what: str) -> None:
    """Skip a test whose service is missing on a developer's machine; fail it in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the staff sign-in policy relaxed.

    Most tests sign staff in with `force_login`, which passes no second factor: they run as a
    deployment whose administrator relaxed the policy. Tests of the second factor turn it on
    (tests/workspace/test_security.py), and the browser tests pass it as staff do.
    """
    from recallcases.workspace.models import StaffPolicy

    with django_db_blocker.unblock():
        StaffPolicy.objects.update_or_create(
            pk=StaffPolicy.SINGLETON_PK, defaults={"require_two_factor": False}
        )


@pytest.fixture(autouse=True)
def _default_language():
    # A request to a French page leaves French active in the test's thread: start each test in
    # the default language, as each real request does.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters live in the cache: each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _rate_limit_window_fixed(monkeypatch):
    # Rate limits count in windows aligned to the clock (a minute, a day): a test whose requests
    # straddled the turn of a minute would see its count start again. Within a test, the windows
    # stay where they were when it began.
    import types

    import recallcases.core.ratelimits

    started = int(recallcases.core.ratelimits.time.time())
    monkeypatch.setattr(
        recallcases.core.ratelimits, "time", types.SimpleNamespace(time=lambda: started)
    )


@pytest.fixture
def postgres():
    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    require(bool(url), "Redis (set REDIS_URL)")
    return url


@pytest.fixture
def recall(db):
    """The speaker recall of the brief, with its demo serial registry."""
    return demo_recall_load()


@pytest.fixture
def speaker(recall):
    """The Soundcore speaker (A3102): its demo serials are A3102DMX10000001 to ...0500."""
    return recall.products.get(model="A3102")


@pytest.fixture
def power_banks(recall):
    """The power bank recall (US only, disposal first, three proof photos) beside the speaker
    recall (`recall`), loaded from its file with its pictures, with serials A1263PB0000001 to
    A1263PB0000500."""
    from recallcases.recalls.services import recall_load, registry_import

    power_banks = recall_load(
        data=json.loads(POWER_BANK_FILE.read_text(encoding="utf-8")),
        base_dir=POWER_BANK_FILE.parent,
    )
    registry_import(
        recall=power_banks,
        rows=[
            {"model": "A1263", "first_serial": "A1263PB0000001", "last_serial": "A1263PB0000500"}
        ],
    )
    return power_banks


def restore_roles() -> None:
    """Put back the staff roles the migrations create, if a transactional test's flush took them.

    Roles are rows written by a migration (roles_sync); the flush after a transactional (browser)
    test empties every table, and later tests would find no group to put their staff in.
    """
    if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
        roles_sync()


@pytest.fixture
def roles(db):
    """The staff groups, holding exactly the permissions of roles.ROLES."""
    restore_roles()


def member_of(role: str, username: str | None = None):
    """A staff account in one role (the groups come from roles.ROLES, by migration or restore)."""
    user = get_user_model().objects.create_user(
        username=username or role.lower().replace(" ", "-"),
        password="a-long-test-password",
        is_staff=True,
    )
    restore_roles()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def reviewer(roles):
    return member_of(REVIEWER)


@pytest.fixture
def fulfiller(roles):
    return member_of(FULFILMENT)


@pytest.fixture
def manager(roles):
    return member_of(RECALL_MANAGER)


@pytest.fixture
def administrator(roles):
    return member_of(ADMINISTRATOR)


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
