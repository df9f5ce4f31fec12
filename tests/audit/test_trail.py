"""Every staff action leaves a trace: an append-only audit row, with who, what, before and after."""

import ast
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

import recallcases.audit
from recallcases.audit.models import AppendOnlyError, AuditAction, AuditEntry
from recallcases.audit.services import audit_record
from recallcases.claims.models import ClaimStatus
from recallcases.claims.services import claim_consumer_upload, claim_ship
from recallcases.claims.services.tracking import tracking_import
from recallcases.claims.transitions import Actor
from recallcases.core.photo_pipeline import process_photo
from recallcases.notices.models import Purchaser
from recallcases.notices.services.purchasers import (
    purchasers_bounced_csv,
    purchasers_import_csv,
)
from recallcases.notices.services.sending import (
    notices_send,
)
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import outbox_retry
from recallcases.recalls.services import registry_import_csv
from tests.factories import ClaimFactory, staff_user
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db

S = ClaimStatus


def only_entry(action: str, **filters) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(action=action, **filters))
    assert len(entries) == 1, f"expected one {action} row, found {len(entries)}"
    return entries[0]


@pytest.fixture
def fulfiller_actor(fulfiller):
    return Actor.staff(fulfiller)


def test_claim_ship_records_the_shipment(speaker, fulfiller):
    # given: an approved claim
    claim = ClaimFactory(status=S.REPLACEMENT_APPROVED, product=speaker)
    # when: fulfilment ships it
    claim_ship(
        claim_id=claim.pk,
        actor=Actor.staff(fulfiller),
        carrier="UPS",
        tracking_number="1z 999 1",
    )
    # then: one row says who shipped what, for this claim and recall
    entry = only_entry(AuditAction.SHIPMENT_RECORD)
    assert (entry.actor, entry.actor_kind) == (fulfiller, "staff")
    assert (entry.claim_id, entry.recall_id) == (claim.pk, speaker.recall_id)
    assert entry.subject_type == "claims.shipment"
    assert entry.subject_id == str(claim.shipments.get().pk)
    assert entry.before is None
    assert entry.after == {"remedy": "replacement", "carrier": "UPS", "tracking_number": "1Z9991"}


def test_refused_shipment_leaves_no_row(speaker, reviewer):
    claim = ClaimFactory(status=S.REPLACEMENT_APPROVED, product=speaker)
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is tested elsewhere
        claim_ship(
            claim_id=claim.pk, actor=Actor.staff(reviewer), carrier="UPS", tracking_number="1"
        )
    assert not AuditEntry.objects.filter(claim_id=claim.pk).exists()


def test_consumer_serial_correction_keeps_the_old_serial(speaker):
    # given: a claim asked for a clearer label, filed with a mistyped serial
    claim = ClaimFactory(
        status=S.INFORMATION_REQUESTED,
        product=speaker,
        serial="A3102DMX10000401",
        serial_as_typed="a3102-dmx1-0000-401",
    )
    # when: the consumer sends a new photo and the right serial
    claim_consumer_upload(
        claim=claim, photo=process_photo(jpeg_bytes()), corrected_serial="A3102DMX10000499"
    )
    # then: the serial is replaced, and the old one is kept in the trail, by the consumer
    claim.refresh_from_db()
    assert claim.serial == "A3102DMX10000499"
    entry = only_entry(AuditAction.SERIAL_CORRECT)
    assert (entry.actor, entry.actor_kind) == (None, "consumer")
    assert entry.before == {"serial": "A3102DMX10000401", "serial_as_typed": "a3102-dmx1-0000-401"}
    assert entry.after == {"serial": "A3102DMX10000499", "serial_as_typed": "A3102DMX10000499"}
    assert (entry.claim_id, entry.subject_type) == (claim.pk, "claims.claim")
    # and: the photo's upload has a row of its own, naming the photo
    upload = only_entry(AuditAction.PHOTO_UPLOAD)
    photo = claim.photos.get()
    assert (upload.subject_type, upload.subject_id) == ("claims.claimphoto", str(photo.pk))
    assert (upload.actor_kind, upload.after, upload.claim_id) == (
        "consumer",
        {"kind": "serial_label"},
        claim.pk,
    )


def test_upload_without_a_new_serial_records_only_the_photo(speaker):
    claim = ClaimFactory(status=S.REPLACEMENT_SHIPPED, product=speaker)
    claim_consumer_upload(claim=claim, photo=process_photo(jpeg_bytes()))
    assert only_entry(AuditAction.PHOTO_UPLOAD).after == {"kind": "disposal"}
    assert not AuditEntry.objects.filter(action=AuditAction.SERIAL_CORRECT).exists()


def tracking_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("tracking.csv", text.encode())


def test_tracking_import_records_each_shipment_and_the_import(speaker, fulfiller):
    # given: two approved claims in a partner's file, and a row for no claim
    first, second = (ClaimFactory(status=S.REPLACEMENT_APPROVED, product=speaker) for _ in "ab")
    file = tracking_file(
        "reference,carrier,tracking_number\n"
        f"{first.reference},UPS,1Z01\n{second.reference},UPS,1Z02\nNOPE,UPS,1Z03\n"
    )
    # when
    tracking_import(file=file, actor=Actor.staff(fulfiller), apply_good_rows=True)
    # then: a row per shipment, and one for the file with its counts
    shipped = AuditEntry.objects.filter(action=AuditAction.SHIPMENT_RECORD)
    assert sorted(shipped.values_list("claim_id", flat=True)) == sorted([first.pk, second.pk])
    entry = only_entry(AuditAction.TRACKING_IMPORT)
    assert (entry.actor, entry.subject_label) == (fulfiller, "tracking.csv")
    assert entry.after == {
        "rows": 3,
        "applied": 2,
        "refused": 1,
        "not_applied": 0,
        "apply_good_rows": True,
    }


def test_tracking_import_that_applies_nothing_is_still_recorded(speaker, fulfiller):
    claim = ClaimFactory(status=S.REPLACEMENT_APPROVED, product=speaker)
    file = tracking_file(f"reference,carrier,tracking_number\n{claim.reference},UPS,1Z01\nX,,\n")
    tracking_import(file=file, actor=Actor.staff(fulfiller), apply_good_rows=False)
    assert not AuditEntry.objects.filter(action=AuditAction.SHIPMENT_RECORD).exists()
    after = only_entry(AuditAction.TRACKING_IMPORT).after
    assert (after["applied"], after["refused"], after["not_applied"]) == (0, 1, 1)


def test_registry_import_records_counts_and_file_name_not_rows(speaker, manager):
    csv = (
        "model,first_serial,last_serial\n"
        "A3102,A3102DMX20000001,A3102DMX20000010\n"
        "A3102,A3102DMX10000001,\n"  # already in the demo registry
        "X9999,A3102DMX30000001,\n"  # no such product
    )
    registry_import_csv(
        recall=speaker.recall, file=io.StringIO(csv), actor=manager, file_name="serials.csv"
    )
    # (the demo registry's own import is the system's row)
    entry = only_entry(AuditAction.REGISTRY_IMPORT, actor_kind="staff")
    assert (entry.actor, entry.recall_id, entry.note) == (manager, speaker.recall_id, "serials.csv")
    assert entry.after == {
        "rows": 3,
        "rows_added": 1,
        "units_added": 10,
        "entries_added": 1,
        "duplicates": 1,
        "invalid": 1,
        "demo": False,
    }
    assert "A3102DMX2" not in str(entry.after)


def test_purchaser_import_records_counts_without_addresses(speaker, manager):
    csv = (
        "name,email,order_number,model,serial,country,language\n"
        "Sam Lee,sam@example.com,112-0002,A3302,,US,en\n"
        "Sam Lee,sam@example.com,112-0002,A3302,,US,en\n"
        "No Email,not-an-address,112-0009,A3102,,CA,en\n"
    )
    purchasers_import_csv(
        recall=speaker.recall, file=io.StringIO(csv), actor=manager, file_name="buyers.csv"
    )
    entry = only_entry(AuditAction.PURCHASERS_IMPORT)
    assert (entry.actor, entry.recall_id, entry.note) == (manager, speaker.recall_id, "buyers.csv")
    assert entry.after == {"rows": 3, "added": 1, "duplicates": 1, "invalid": 1}
    assert "sam@" not in str(entry.after)


def test_notice_send_records_how_many_were_written(speaker, manager):
    for number in range(3):
        Purchaser.objects.create(
            recall=speaker.recall,
            email=f"p{number}@example.com",
            order_number=str(number),
            country="CA",
        )
    notices_send(recall=speaker.recall, kind=EmailKind.RECALL_NOTICE, actor=manager)
    entry = only_entry(AuditAction.NOTICES_SEND)
    assert (entry.actor, entry.recall_id) == (manager, speaker.recall_id)
    assert entry.after == {"kind": "recall_notice", "written": 3}
    # and: a run with nothing to write (the beat task's, each minute) leaves no row
    notices_send(recall=speaker.recall, kind=EmailKind.RECALL_NOTICE)
    assert AuditEntry.objects.filter(action=AuditAction.NOTICES_SEND).count() == 1


def test_bounce_import_records_counts(speaker, manager):
    Purchaser.objects.create(
        recall=speaker.recall, email="hard@example.com", order_number="1", country="CA"
    )
    csv = "email,type\nhard@example.com,HardBounce\nsoft@example.com,Transient\n"
    purchasers_bounced_csv(
        file=io.StringIO(csv), recall=speaker.recall, actor=manager, file_name="bounces.csv"
    )
    entry = only_entry(AuditAction.BOUNCES_IMPORT)
    assert (entry.actor, entry.recall_id, entry.note) == (manager, speaker.recall_id, "bounces.csv")
    assert entry.after == {"rows": 2, "marked": 1, "soft": 1, "unknown": 0, "invalid": 0}


def test_email_retry_records_which_email_and_who(speaker, reviewer):
    claim = ClaimFactory(product=speaker)
    email = OutboundEmail.objects.create(
        claim=claim,
        kind=EmailKind.RECEIVED,
        dedupe_key="retry-audit",
        message_id="<retry-audit@recallcases.test>",
        state=EmailState.FAILED,
        last_error="550 consumer0@example.com unknown",
        next_attempt_at=timezone.now(),
    )
    assert outbox_retry(email_id=email.pk, actor=reviewer)
    entry = only_entry(AuditAction.EMAIL_RETRY)
    assert (entry.actor, entry.claim_id, entry.subject_id) == (reviewer, claim.pk, str(email.pk))
    assert (entry.before, entry.after) == (
        {"state": "failed"},
        {"state": "pending", "kind": "received"},
    )
    # the server's error may quote the address: it is not copied into the trail
    assert "@" not in str(entry.before) + str(entry.after)
    # and: an email that is not failed (any more) is not retried, and leaves no row
    assert not outbox_retry(email_id=email.pk, actor=reviewer)
    assert AuditEntry.objects.filter(action=AuditAction.EMAIL_RETRY).count() == 1


# --- Append-only ---------------------------------------------------------------------------------


def an_entry() -> AuditEntry:
    user = staff_user()
    return audit_record(
        actor=user, action=AuditAction.USER_ROLES_CHANGE, subject=user, after={"is_staff": True}
    )


def test_an_entry_cannot_be_changed_or_deleted_through_the_orm():
    entry = an_entry()
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET note = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_postgresql_refuses_changing_or_deleting_an_entry(postgres, statement):
    entry = an_entry()
    # (the database's own error, whichever class the driver gives it)
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, note="").exists()


def test_the_database_refuses_an_unknown_actor_kind():
    user = staff_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        audit_record(actor=None, actor_kind="robot", action=AuditAction.EMAIL_RETRY, subject=user)


def test_the_audit_app_imports_no_other_app_of_the_project():
    # The trail sits at the bottom of the house: every app may write to it, it knows none of them.
    package = Path(recallcases.audit.__file__).parent
    imported = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    allowed = ("recallcases.audit", "recallcases.core")
    others = {n for n in imported if n.startswith("recallcases.") and not n.startswith(allowed)}
    assert others == set()


def test_audit_record_refuses_an_action_it_cannot_name(manager):
    # An action is a code of AuditAction, not a database choice: a typo must not become a row.
    with pytest.raises(ValueError, match="not an AuditAction"):
        audit_record(actor=manager, action="shipment.recorded", subject=None)
    assert not AuditEntry.objects.exists()


def test_audit_entry_names_its_action_in_words(manager):
    entry = audit_record(actor=manager, action=AuditAction.EMAIL_RETRY, subject=None)
    assert entry.get_action_display() == "Failed email sent again"
