"""The retention schedule beyond claims: purchaser lists, incident reporters, the outbox, the
command with its dry run, and the daily task with `clearsessions`."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.core.photo_pipeline import process_photo
from recallcases.incidents.models import Incident
from recallcases.incidents.retention import INCIDENT_DETAILS, incident_retention_apply
from recallcases.incidents.services import IncidentDetails, incident_report
from recallcases.notices.models import Purchaser
from recallcases.notices.retention import PURCHASER_DETAILS, purchaser_retention_apply
from recallcases.notices.services.purchasers import (
    purchasers_import,
)
from recallcases.notices.services.sending import (
    notices_send,
)
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.retention import EMAIL_RECIPIENTS, outbox_retention_apply
from recallcases.retention.services import retention_apply
from recallcases.retention.tasks import retention_run
from tests.factories import ClaimFactory, OutboundEmailFactory, RecallFactory, notice_email_for
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db

SIX_YEARS = timedelta(days=6 * 365 + 2)
A_WEEK = timedelta(days=7)
A_YEAR = timedelta(days=366)


def buyers(recall, *emails):
    purchasers_import(
        recall=recall,
        rows=[
            {"name": "Robin Roe", "email": email, "order_number": f"112-{n}", "country": "CA"}
            for n, email in enumerate(emails)
        ],
    )
    return list(Purchaser.objects.filter(recall=recall).order_by("pk"))


# --- Purchasers ----------------------------------------------------------------------------------


def test_purchasers_lose_their_details_six_years_after_import():
    # given: a recall announced years ago, and a list imported today
    recall = RecallFactory(announced_on=date(2020, 1, 6))
    (buyer,) = buyers(recall, "robin@example.com")

    # when / then: nothing before six years from the import (the later of the two)
    assert sum(purchaser_retention_apply(now=timezone.now() + SIX_YEARS - A_WEEK).values()) == 0
    counts = purchaser_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    assert counts[PURCHASER_DETAILS, recall.pk] == 1
    buyer.refresh_from_db()
    assert (buyer.name, buyer.email, buyer.order_number) == ("", "", "")
    assert buyer.country == "CA" and buyer.anonymised_at is not None
    # idempotent
    assert sum(purchaser_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK).values()) == 0


def test_purchasers_kept_six_years_after_a_later_announcement():
    recall = RecallFactory(announced_on=timezone.localdate() + timedelta(days=60))
    buyers(recall, "robin@example.com")

    counts = purchaser_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    assert sum(counts.values()) == 0


def test_anonymised_purchasers_are_never_sent_a_notice_and_may_be_listed_again():
    recall = RecallFactory(announced_on=date(2020, 1, 6))
    buyers(recall, "robin@example.com", "kim@example.com")
    purchaser_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    assert notices_send(recall=recall, kind=EmailKind.RECALL_NOTICE).written == 0
    # the list imported again: the same people, known again (their details were gone)
    row = {"email": "robin@example.com", "order_number": "112-0", "country": "CA"}
    report = purchasers_import(recall=recall, rows=[row])
    assert report.added == 1


# --- Incidents -----------------------------------------------------------------------------------


def incident(recall, **overrides):
    details = {
        "kinds": frozenset({"fire"}),
        "description": "It caught fire in Jordan's bedroom at 12 Elm Street.",
        "contact_name": "Jordan Smith",
        "contact_email": "jordan@example.com",
        "contact_phone": "416-555-0101",
        "country": "CA",
        "region": "ON",
        **overrides,
    }
    return incident_report(
        recall=recall, details=IncidentDetails(**details), photo=process_photo(jpeg_bytes())
    )


def test_incident_reporters_details_and_photo_go_after_six_years(manager, as_user):
    recall = RecallFactory(safety_contact_email="safety@example.com")
    report = incident(recall)
    photo = report.photo.name
    assert default_storage.exists(photo)

    assert sum(incident_retention_apply(now=timezone.now() + SIX_YEARS - A_WEEK).values()) == 0
    dry = incident_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK, dry_run=True)
    assert Incident.objects.get(pk=report.pk).contact_name == "Jordan Smith"
    counts = incident_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    assert counts == dry and counts[INCIDENT_DETAILS, recall.pk] == 1
    report.refresh_from_db()
    assert (report.contact_name, report.contact_email, report.contact_phone) == ("", "", "")
    assert report.description == "" and not report.photo
    assert not default_storage.exists(photo)
    # what the regulators count stays
    assert (report.fire, report.urgent, report.country, report.region) == (True, True, "CA", "ON")
    page = as_user(manager).get(reverse("workspace:incident", args=[report.reference]))
    assert "removed on" in page.content.decode() and "Jordan" not in page.content.decode()
    assert sum(incident_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK).values()) == 0


# --- The outbox ----------------------------------------------------------------------------------


def sent_email(
    *, claim=None, recipient="", purchaser=None, sent_at=None, state=EmailState.SENT
) -> OutboundEmail:
    """A claim email, or with `purchaser` a recall notice to them, as it stands after sending."""
    fields = {
        "recipient": recipient,
        "state": state,
        "sent_at": sent_at if state == EmailState.SENT else None,
        "last_error": "SMTPRecipientsRefused 550" if state == EmailState.FAILED else "",
    }
    if purchaser is not None:
        return notice_email_for(purchaser, **fields)
    return OutboundEmailFactory(claim=claim, **fields)


def test_email_recipients_go_a_year_after_sending_and_the_rows_stay():
    # given: a notice to a purchaser, an alert to a safety contact, a failed claim email, one
    # still pending, and a notice sent later
    recall = RecallFactory(safety_contact_email="safety@example.com")
    (buyer,) = buyers(recall, "robin@example.com")
    now = timezone.now()
    notice = sent_email(recipient=buyer.email, purchaser=buyer, sent_at=now)
    alert = incident(recall).pk  # writes the urgent alert, pending
    OutboundEmail.objects.filter(context__incident=alert).update(state=EmailState.SENT, sent_at=now)
    failed = sent_email(claim=ClaimFactory(product__recall=recall), state=EmailState.FAILED)
    pending = sent_email(recipient="pending@example.com", purchaser=buyer, state=EmailState.PENDING)
    later = sent_email(recipient=buyer.email, purchaser=buyer, sent_at=now + timedelta(days=60))

    # when: a year and a week on
    counts = outbox_retention_apply(now=now + A_YEAR + A_WEEK)

    # then: three rows of this recall lost their recipient or error; the others kept theirs
    assert dict(+counts) == {(EMAIL_RECIPIENTS, recall.pk): 3}
    notice.refresh_from_db()
    assert notice.recipient == "" and notice.state == EmailState.SENT and notice.sent_at
    assert OutboundEmail.objects.get(context__incident=alert).recipient == ""
    failed.refresh_from_db()
    assert failed.last_error == ""
    assert OutboundEmail.objects.get(pk=pending.pk).recipient == "pending@example.com"
    assert OutboundEmail.objects.get(pk=later.pk).recipient == "robin@example.com"
    assert sum(outbox_retention_apply(now=now + A_YEAR + A_WEEK).values()) == 0


def test_each_recall_keeps_emails_its_own_time():
    short = RecallFactory(email_retention_months=1)
    long = RecallFactory()
    (short_buyer,), (long_buyer,) = buyers(short, "a@example.com"), buyers(long, "b@example.com")
    now = timezone.now()
    for buyer in (short_buyer, long_buyer):
        sent_email(recipient=buyer.email, purchaser=buyer, sent_at=now)

    counts = outbox_retention_apply(now=now + timedelta(days=40), dry_run=True)

    assert dict(+counts) == {(EMAIL_RECIPIENTS, short.pk): 1}


# --- The orchestration ---------------------------------------------------------------------------


def a_bit_of_everything():
    recall = RecallFactory(slug="speakers", safety_contact_email="safety@example.com")
    claim = ClaimFactory(product__recall=recall)
    claim_transition(claim_id=claim.pk, to_status="rejected", actor=SYSTEM, note="Not ours.")
    buyers(recall, "robin@example.com")
    incident(recall)
    return recall


def test_command_dry_run_reports_per_kind_and_recall_and_changes_nothing():
    a_bit_of_everything()
    when = (timezone.now() + SIX_YEARS + A_WEEK).date().isoformat()
    out = StringIO()

    call_command("retention_apply", "--dry-run", "--now", when, stdout=out)

    text = out.getvalue()
    assert f"Retention schedule at {when} 00:00 UTC: would remove" in text
    assert "  claims' personal data: 1\n    speakers: 1\n" in text
    assert "  purchasers' details: 1\n    speakers: 1\n" in text
    assert "  incident reporters' details: 1\n    speakers: 1\n" in text
    assert "  claim photos: 0\n" in text
    assert Purchaser.objects.get().email == "robin@example.com"
    assert Incident.objects.get().contact_name == "Jordan Smith"

    out = StringIO()
    call_command("retention_apply", "--now", when, stdout=out)
    assert ": removed\n" in out.getvalue() and "    speakers: 1\n" in out.getvalue()
    assert Purchaser.objects.get().email == ""


def test_command_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("retention_apply", "--now", "next year")


def test_retention_apply_twice_removes_nothing_the_second_time():
    a_bit_of_everything()
    later = timezone.now() + SIX_YEARS + A_WEEK
    dry = retention_apply(now=later, dry_run=True)

    first = retention_apply(now=later)
    second = retention_apply(now=later)

    assert first.lines == dry.lines and first.lines
    assert second.lines == [] and set(second.totals.values()) == {0}


def test_daily_task_is_scheduled_and_clears_expired_sessions():
    assert any(
        entry["task"] == "recallcases.retention.tasks.retention_run"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    Session.objects.create(
        session_key="y" * 32, session_data="", expire_date=timezone.now() + timedelta(days=1)
    )

    totals = retention_run()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]
    assert totals == dict.fromkeys(totals, 0)


def test_recall_admin_edits_the_retention_periods(admin_client):
    recall = RecallFactory()

    page = admin_client.get(reverse("admin:recalls_recall_change", args=[recall.pk]))

    html = page.content.decode()
    assert page.status_code == 200 and "Retention schedule" in html
    for field in (
        "claim_retention_months",
        "claim_photo_retention_months",
        "purchaser_retention_months",
        "email_retention_months",
        "incident_retention_months",
    ):
        assert f'name="{field}"' in html
