"""The Django admin: for Administrators only, no lookup that reads personal data letter by letter,
and no way for an Administrator to make itself superuser (issue 10)."""

from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.workspace.admin import ADMIN_SITE_PERMISSION
from recallcases.workspace.roles import ADMINISTRATOR, FULFILMENT, RECALL_MANAGER, REVIEWER, ROLES
from tests.conftest import member_of
from tests.factories import ClaimFactory, staff_user

pytestmark = pytest.mark.django_db

CLAIMS = "/admin/claims/claim/"
# The lookups an attacker guesses one letter at a time, on each personal field of a claim.
PERSONAL_LOOKUPS = {
    "name": "name__startswith",
    "email": "email__startswith",
    "phone": "phone__startswith",
    "address_line1": "address_line1__startswith",
    "address_line2": "address_line2__startswith",
    "city": "city__startswith",
    "postal_code": "postal_code__startswith",
    "order_number": "order_number__startswith",
    "purchase_date": "purchase_date__year",
    "address_key": "address_key__startswith",
    "access_token_hash": "access_token_hash__startswith",
    # Through a relation: what was sent to whom, the notes written about the consumer.
    "emails": "emails__recipient__startswith",
    "events": "events__note__contains",
}


@pytest.fixture
def casey(speaker):
    return ClaimFactory(
        product=speaker,
        name="Casey Morin",
        email="casey.morin@example.com",
        phone="819-555-0199",
        address_line1="5 rue Principale",
        postal_code="J8X 1A1",
        order_number="112-1234567-1234567",
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def superuser():
    user = staff_user(username="root")
    user.is_superuser = True
    user.save()
    return user


def guess(client, claim, lookup: str, value: str):
    return client.get(f"{CLAIMS}?{urlencode({'reference': claim.reference, lookup: value})}")


@pytest.mark.parametrize("role", [REVIEWER, FULFILMENT, RECALL_MANAGER])
def test_admin_lookup_guessing_contact_details_refused(casey, role):
    # given: a staff member of a workspace role, signed in (the reviewer of the audit)
    client = signed_in(member_of(role))
    # when: they guess the consumer's email one letter at a time in the admin's list
    right, wrong = (
        guess(client, casey, "email__startswith", "c"),
        guess(client, casey, "email__startswith", "x"),
    )
    # then: the admin does not open for them at all: the same answer to a right and a wrong guess
    for response in (right, wrong):
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == "/admin/login/"
    assert right["Location"].split("?")[0] == wrong["Location"].split("?")[0]
    assert client.get("/admin/").status_code == 302
    assert client.get(f"{CLAIMS}{casey.pk}/change/").status_code == 302


def test_admin_opens_for_administrators_and_superusers(casey):
    assert signed_in(member_of(ADMINISTRATOR)).get(CLAIMS).status_code == 200
    assert signed_in(superuser()).get(CLAIMS).status_code == 200


@pytest.mark.parametrize("field", PERSONAL_LOOKUPS)
def test_admin_lookup_on_personal_fields_refused(casey, field):
    # given: an Administrator, who runs the admin but has no right to consumers' contact details
    client = signed_in(member_of(ADMINISTRATOR))
    # when: they look claims up by a personal field
    response = guess(
        client, casey, PERSONAL_LOOKUPS[field], "2023" if field == "purchase_date" else "c"
    )
    # then: the lookup is refused outright, whatever the guess
    assert response.status_code == 400
    assert casey.reference not in response.content.decode()


def test_admin_search_and_sort_oracle_refused(casey):
    client = signed_in(member_of(ADMINISTRATOR))
    # the search looks at references and serials only: an email or a name finds nothing
    assert client.get(CLAIMS, {"q": casey.reference}).context["cl"].result_count == 1
    for text in ("casey.morin@example.com", "Casey", "819-555-0199", "112-1234567-1234567"):
        assert client.get(CLAIMS, {"q": text}).context["cl"].result_count == 0, text
    # no column, filter or sort order is a personal field
    changelist = client.get(CLAIMS).context["cl"]
    shown = {*changelist.list_display, *changelist.sortable_by}
    assert not shown & set(PERSONAL_LOOKUPS)
    page = client.get(CLAIMS, {"o": "1.2.3.4.5"}).content.decode()
    assert "casey.morin" not in page and "Casey Morin" not in page


def test_admin_lookup_on_personal_fields_allowed_with_the_right(casey):
    # a superuser holds every right, the contact details' too: the lookup works for them
    client = signed_in(superuser())
    assert guess(client, casey, "email__startswith", "casey").context["cl"].result_count == 1
    assert guess(client, casey, "email__startswith", "x").context["cl"].result_count == 0
    # but the status link's hash is looked up by no one
    assert guess(client, casey, "access_token_hash__startswith", "a").status_code == 400


# Field names that hold a person's details, on any model the admin may list one day (incidents'
# reporters, notices' purchasers, claims): each must be refused as a lookup to an Administrator.
PERSONAL_FIELD_NAMES = {
    "name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "order_number",
    "purchase_date",
    "contact_name",
    "contact_email",
    "contact_phone",
}
# Models whose fields of these names are not a consumer's: staff accounts (the Administrator's to
# manage), roles, products and authenticators have names too.
NOT_PEOPLE = {"auth.user", "auth.group", "recalls.recall", "recalls.product", "otp_totp.totpdevice"}


def test_admin_lookup_on_personal_fields_refused_on_every_model():
    client = signed_in(member_of(ADMINISTRATOR))
    checked = []
    for model in admin.site._registry:
        if model._meta.label_lower in NOT_PEOPLE:
            continue
        names = {field.name for field in model._meta.get_fields()} & PERSONAL_FIELD_NAMES
        for name in sorted(names):
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            lookup = f"{name}__year" if name == "purchase_date" else f"{name}__startswith"
            response = client.get(url, {lookup: "a"})
            assert response.status_code in (400, 403), f"{url}?{lookup}=a: {response.status_code}"
            checked.append(f"{model._meta.label_lower}.{name}")
    assert "claims.claim.email" in checked


# --- An Administrator cannot make itself superuser ------------------------------------------------


def user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
    }
    data.update(changes)
    return data


def test_administrator_self_superuser_refused():
    # given: an Administrator
    administrator = member_of(ADMINISTRATOR)
    client = signed_in(administrator)
    everything = list(Permission.objects.values_list("pk", flat=True))
    # when: they tick "superuser" on their own account and give themselves every permission
    response = client.post(
        f"/admin/auth/user/{administrator.pk}/change/",
        user_form(administrator, is_superuser="on", user_permissions=everything),
    )
    # then: the form saves what it may, and they are neither superuser nor given one permission
    assert response.status_code == 302
    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert not administrator.user_permissions.exists()
    assert not administrator.has_perm("claims.view_shipping_details")
    # and: the form does not even offer the two
    form = client.get(f"/admin/auth/user/{administrator.pk}/change/").context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields


def test_user_permissions_grant_refused_to_superusers_too():
    # Roles are groups: not even a superuser gives one account its own permissions here.
    target = member_of(REVIEWER, username="rui")
    client = signed_in(superuser())
    shipping = Permission.objects.get(codename="view_shipping_details")
    response = client.post(
        f"/admin/auth/user/{target.pk}/change/", user_form(target, user_permissions=[shipping.pk])
    )
    assert response.status_code == 302
    assert not target.user_permissions.exists()


def test_administrator_superuser_takeover_refused():
    # given: a superuser's account, and an Administrator
    root = superuser()
    client = signed_in(member_of(ADMINISTRATOR))
    # when: the Administrator would set the superuser's password, change or delete the account
    password = client.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "a-new-long-password-1", "password2": "a-new-long-password-1"},
    )
    change = client.post(f"/admin/auth/user/{root.pk}/change/", user_form(root, is_active=""))
    delete = client.post(f"/admin/auth/user/{root.pk}/delete/", {"post": "yes"})
    bulk = client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [root.pk], "post": "yes"},
    )
    # then: each is refused, and the account is as it was
    assert (password.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 403)
    root.refresh_from_db()
    assert root.is_active and root.check_password("a-long-test-password")


def test_superuser_grant_by_superuser_is_audited():
    target = member_of(ADMINISTRATOR, username="ada")
    client = signed_in(superuser())
    response = client.post(
        f"/admin/auth/user/{target.pk}/change/", user_form(target, is_superuser="on")
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_superuser
    entry = AuditEntry.objects.get(action=AuditAction.USER_ROLES_CHANGE)
    assert (entry.before, entry.after) == ({"is_superuser": False}, {"is_superuser": True})


# --- Removing a colleague's authenticator is audited ----------------------------------------------


def test_authenticator_delete_unaudited_refused():
    # given: a reviewer's authenticator, and an Administrator who removes it (a lost phone)
    reviewer = member_of(REVIEWER, username="rui")
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    administrator = member_of(ADMINISTRATOR)
    client = signed_in(administrator)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    # then: it is gone, and the trail says who removed whose
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.AUTHENTICATOR_DELETE)
    assert (entry.actor, entry.subject_label, entry.before) == (
        administrator,
        "rui",
        {"authenticator": "phone", "confirmed": True},
    )
    # and: removed in bulk, each one leaves its row
    devices = [
        TOTPDevice.objects.create(user=member_of(FULFILMENT, username=f"f{n}"), name="app")
        for n in range(2)
    ]
    client.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"},
    )
    assert not TOTPDevice.objects.filter(pk__in=[d.pk for d in devices]).exists()
    labels = AuditEntry.objects.filter(action=AuditAction.AUTHENTICATOR_DELETE).values_list(
        "subject_label", flat=True
    )
    assert sorted(labels) == ["f0", "f1", "rui"]


def test_authenticator_delete_of_a_superuser_refused():
    device = TOTPDevice.objects.create(user=superuser(), name="key", confirmed=True)
    client = signed_in(member_of(ADMINISTRATOR))
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.AUTHENTICATOR_DELETE).exists()


def test_admin_site_marker_held_by_administrators_only():
    # The permission that opens the admin is the Administrator role's alone, in ROLES and in the
    # groups roles_sync made from it.
    holders = [role for role, names in ROLES.items() if ADMIN_SITE_PERMISSION in names]
    assert holders == [ADMINISTRATOR]
    app_label, codename = ADMIN_SITE_PERMISSION.split(".")
    groups = Group.objects.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    )
    assert list(groups.values_list("name", flat=True)) == [ADMINISTRATOR]
