"""The staff roles hold exactly what roles.ROLES says: after migrate, and after each roles_sync."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from recallcases.workspace.roles import (
    ADMINISTRATOR,
    CALL_CENTRE_AGENT,
    FULFILMENT,
    RECALL_MANAGER,
    REVIEWER,
    ROLES,
    roles_sync,
)

pytestmark = pytest.mark.django_db


def grants() -> dict[str, list[str]]:
    """Each role's permissions ("app_label.codename", sorted), as the database has them."""
    return {
        group.name: sorted(
            f"{permission.content_type.app_label}.{permission.codename}"
            for permission in group.permissions.select_related("content_type")
        )
        for group in Group.objects.filter(name__in=ROLES)
    }


def the_map() -> dict[str, list[str]]:
    return {role: sorted(names) for role, names in ROLES.items()}


def test_the_map_names_the_five_roles_each_permission_once():
    assert list(ROLES) == [REVIEWER, FULFILMENT, RECALL_MANAGER, ADMINISTRATOR, CALL_CENTRE_AGENT]
    for names in ROLES.values():
        assert len(names) == len(set(names))


def test_a_migrated_database_holds_exactly_the_map(roles):
    assert grants() == the_map()
    # and syncing it, twice, changes nothing
    assert roles_sync() == []
    assert roles_sync() == []
    assert grants() == the_map()


def test_roles_sync_takes_away_a_permission_added_by_hand(roles):
    # given: a reviewer's group given the right to change staff accounts in the admin
    reviewers = Group.objects.get(name=REVIEWER)
    reviewers.permissions.add(Permission.objects.get(codename="change_user"))
    # when
    changes = roles_sync()
    # then
    assert changes == [f"{REVIEWER}: - auth.change_user"]
    assert grants() == the_map()


def test_roles_sync_puts_back_a_group_and_a_grant_that_went_missing(roles):
    # given
    Group.objects.get(name=FULFILMENT).delete()
    Group.objects.get(name=RECALL_MANAGER).permissions.remove(
        Permission.objects.get(codename="view_reports")
    )
    # when
    changes = roles_sync()
    # then
    assert changes == [
        f"{FULFILMENT}: group created",
        f"{FULFILMENT}: + claims.record_shipment",
        f"{FULFILMENT}: + claims.view_claim",
        f"{FULFILMENT}: + claims.view_shipping_details",
        f"{RECALL_MANAGER}: + reports.view_reports",
    ]
    assert grants() == the_map()
    assert roles_sync() == []


def test_roles_sync_leaves_other_groups_alone(roles):
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(Permission.objects.get(codename="view_claim"))
    roles_sync()
    assert list(auditors.permissions.values_list("codename", flat=True)) == ["view_claim"]


def test_roles_sync_works_on_a_migrations_models_before_permissions_exist(db):
    # given: no roles, and none of the notices app's permissions (Django creates them only after
    # the last migration)
    Group.objects.filter(name__in=ROLES).delete()
    Permission.objects.filter(content_type__app_label="notices").delete()
    state = MigrationExecutor(connection).loader.project_state(
        ("workspace", "0004_roles_sync"), at_end=True
    )
    # when: the migration's step runs, on the models as they were then
    roles_sync(apps=state.apps, missing_ok=True)
    # then
    assert grants() == the_map()


def test_roles_sync_refuses_a_permission_that_does_not_exist(roles, monkeypatch):
    monkeypatch.setitem(ROLES, REVIEWER, [*ROLES[REVIEWER], "claims.teleport_claim"])
    with pytest.raises(LookupError, match=r"claims\.teleport_claim"):
        roles_sync()
    with pytest.raises(CommandError, match=r"claims\.teleport_claim"):
        call_command("roles_sync", stdout=io.StringIO())
    # A migration's older models may predate a permission: it grants the rest.
    assert roles_sync(missing_ok=True) == []


def test_roles_sync_command_prints_what_it_changed(roles):
    # given
    Group.objects.get(name=REVIEWER).permissions.add(Permission.objects.get(codename="view_user"))
    out = io.StringIO()
    # when
    call_command("roles_sync", stdout=out)
    # then
    assert out.getvalue().splitlines() == [f"{REVIEWER}: - auth.view_user", "1 change."]
    out = io.StringIO()
    call_command("roles_sync", stdout=out)
    assert out.getvalue() == "The roles already match roles.ROLES: nothing changed.\n"
