"""The trail where staff read it: a claim's timeline, the managers' audit page, and the admin."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.claims.models import ClaimStatus
from recallcases.claims.services import claim_consumer_upload, claim_ship
from recallcases.claims.transitions import Actor
from recallcases.core.photo_pipeline import process_photo
from recallcases.workspace.roles import RECALL_MANAGER, REVIEWER
from tests.factories import ClaimFactory, staff_user
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db

S = ClaimStatus
AUDIT = "/workspace/audit/"


def corrected_and_shipped(speaker, manager):
    """A claim whose serial the consumer corrected, then verified, approved and shipped."""
    claim = ClaimFactory(status=S.INFORMATION_REQUESTED, product=speaker, serial="A3102DMX10000401")
    claim_consumer_upload(
        claim=claim, photo=process_photo(jpeg_bytes()), corrected_serial="A3102DMX10000499"
    )
    ClaimFactory._meta.model.objects.filter(pk=claim.pk).update(status=S.REPLACEMENT_APPROVED)
    claim_ship(claim_id=claim.pk, actor=Actor.staff(manager), carrier="UPS", tracking_number="1Z77")
    claim.refresh_from_db()
    return claim


def timeline_rows(page: str) -> str:
    return page.split('id="timeline"', 1)[1].split("</table>", 1)[0]


def test_claim_page_timeline_shows_the_serial_correction_and_the_shipment(
    speaker, manager, as_user
):
    # given
    claim = corrected_and_shipped(speaker, manager)
    # when: staff open the claim
    page = as_user(manager).get(f"/workspace/claims/{claim.reference}/").content.decode()
    # then: its timeline has the audit rows beside the status changes, oldest first
    rows = timeline_rows(page)
    assert 'data-action="serial.correct"' in rows
    assert "A3102DMX10000401" in rows and "A3102DMX10000499" in rows
    assert 'data-action="shipment.record"' in rows and "1Z77" in rows
    assert "Serial corrected by the consumer" in rows and "Shipment recorded" in rows
    order = [rows.index(marker) for marker in ("serial.correct", "Resubmitted", "shipment.record")]
    assert order == sorted(order)


def test_claim_page_reads_the_audit_rows_in_one_query_however_many(speaker, manager, as_user):
    claim = corrected_and_shipped(speaker, manager)
    client = as_user(manager)
    url = f"/workspace/claims/{claim.reference}/"
    client.get(url)  # the first page after sign-in also reads the sign-in policy and session

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    user = staff_user()
    for number in range(10):
        AuditEntry.objects.create(
            actor=user,
            actor_kind="staff",
            action=AuditAction.EMAIL_RETRY,
            subject_type="notifications.outboundemail",
            subject_id=str(number),
            claim_id=claim.pk,
        )
    assert queries() == few


def test_reviewer_cannot_open_the_audit_page_nor_see_its_link(reviewer, as_user):
    client = as_user(reviewer)
    assert client.get(AUDIT).status_code == 403
    assert AUDIT not in client.get("/workspace/").content.decode()


def test_manager_reads_the_audit_page_filtered_by_action_and_recall(speaker, manager, as_user):
    # given: a shipment, a serial correction, and the demo registry's import
    corrected_and_shipped(speaker, manager)
    client = as_user(manager)
    # when: the manager opens the page from the navigation
    assert AUDIT in client.get("/workspace/").content.decode()
    page = client.get(AUDIT).content.decode()
    # then: every action is listed, newest first
    assert page.index('data-action="shipment.record"') < page.index('data-action="serial.correct"')
    assert 'data-action="registry.import"' in page
    # and: filtered by action, only those
    only_shipments = client.get(AUDIT, {"action": "shipment.record"}).content.decode()
    assert 'data-action="shipment.record"' in only_shipments
    assert 'data-action="serial.correct"' not in only_shipments
    # and: filtered by another recall, none of these
    other = ClaimFactory().recall
    assert "data-action" not in client.get(AUDIT, {"recall": other.pk}).content.decode()


def test_audit_page_in_french(manager, as_user, speaker):
    corrected_and_shipped(speaker, manager)
    client = as_user(manager)
    page = client.get(AUDIT, headers={"accept-language": "fr-CA"}).content.decode()
    assert "Envoi enregistré" in page


# --- Roles, changed in the admin -----------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = staff_user(username="ada")
    user.is_superuser = True
    user.save()
    client.force_login(user)
    client.user = user
    return client


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
        "user_permissions": [p.pk for p in user.user_permissions.all()],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_admin_records_a_staff_accounts_roles_before_and_after(admin_client):
    # given: a reviewer
    from tests.workspace.conftest import member_of

    user = member_of(REVIEWER, username="rui")
    manager_role = Group.objects.get(name=RECALL_MANAGER)
    close = Permission.objects.get(codename="close_claim")
    # when: an administrator makes them a recall manager with one own permission, and a superuser
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        user_form(user, groups=[manager_role.pk], user_permissions=[close.pk], is_superuser="on"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    # then: one row, with only what changed, before and after
    entry = AuditEntry.objects.get(action=AuditAction.USER_ROLES_CHANGE)
    assert (entry.actor, entry.subject_id, entry.subject_label) == (
        admin_client.user,
        str(user.pk),
        "rui",
    )
    assert entry.before == {
        "groups": [REVIEWER],
        "user_permissions": [],
        "is_superuser": False,
    }
    assert entry.after == {
        "groups": [RECALL_MANAGER],
        "user_permissions": ["claims.close_claim"],
        "is_superuser": True,
    }
    # and: saving it unchanged writes nothing more; deactivating writes is_active only
    user.refresh_from_db()
    admin_client.post(f"/admin/auth/user/{user.pk}/change/", user_form(user, is_superuser="on"))
    assert AuditEntry.objects.filter(action=AuditAction.USER_ROLES_CHANGE).count() == 1
    admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        user_form(user, is_superuser="on", is_active=None),
    )
    last = AuditEntry.objects.filter(action=AuditAction.USER_ROLES_CHANGE).last()
    assert (last.before, last.after) == ({"is_active": True}, {"is_active": False})


def test_admin_records_a_roles_permissions_before_and_after(admin_client):
    group = Group.objects.create(name="Auditors")
    view = Permission.objects.get(codename="view_auditentry")
    response = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "Auditors", "permissions": [view.pk]}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.GROUP_PERMISSIONS_CHANGE)
    assert (entry.actor, entry.subject_label) == (admin_client.user, "Auditors")
    assert (entry.before, entry.after) == (
        {"permissions": []},
        {"permissions": ["audit.view_auditentry"]},
    )


def test_migration_grants_the_audit_page_to_managers_and_administrators():
    holders = set(
        Group.objects.filter(permissions__codename="view_auditentry").values_list("name", flat=True)
    )
    assert holders == {"Recall manager", "Administrator"}


# --- The pages pass who acted --------------------------------------------------------------------


def test_pages_record_the_staff_member_who_acted(speaker, manager, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from recallcases.notifications.models import OutboundEmail

    client = as_user(manager)
    recall = speaker.recall
    claim = ClaimFactory(product=speaker)
    email = OutboundEmail.objects.create(
        claim=claim,
        kind="received",
        dedupe_key="retry-page",
        message_id="<retry-page@recallcases.test>",
        state="failed",
        next_attempt_at=timezone.now(),
    )
    # when: the manager sends a failed email again, imports serials, purchasers and bounces
    client.post(f"/workspace/emails/{email.pk}/retry/")
    client.post(
        "/workspace/registry/import/",
        {
            "recall": recall.pk,
            "file": SimpleUploadedFile(
                "serials.csv", b"model,first_serial,last_serial\nA3102,A3102DMX20000001,\n"
            ),
        },
    )
    for page, name, content in (
        ("import", "buyers.csv", b"email,country\nsam@example.com,US\nana@example.com,CA\n"),
        ("bounces", "bounces.csv", b"email\nsam@example.com\n"),
    ):
        client.post(
            f"/workspace/notices/{recall.slug}/{page}/",
            {"file": SimpleUploadedFile(name, content)},
        )
    client.post(f"/workspace/notices/{recall.slug}/send/")
    # then: each row names the manager (and the file)
    rows = AuditEntry.objects.filter(actor=manager)
    assert set(rows.values_list("action", "note")) == {
        (AuditAction.EMAIL_RETRY, ""),
        (AuditAction.REGISTRY_IMPORT, "serials.csv"),
        (AuditAction.PURCHASERS_IMPORT, "buyers.csv"),
        (AuditAction.BOUNCES_IMPORT, "bounces.csv"),
        (AuditAction.NOTICES_SEND, ""),
    }
    # and: the retry shows on the claim's timeline
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert 'data-action="email.retry"' in timeline_rows(page)
