"""The outbox: the right email for each step, written with it, sent once, retried, reminded."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.transitions import SYSTEM, TransitionRefused, claim_transition
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.notifications.services import (
    STEP_EMAILS,
    Outcome,
    deliver,
    outbox_enqueue,
    outbox_retry,
    reminders_write,
)
from tests.factories import ClaimFactory, ProductFactory, consumer_details
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db

# (from, to) → the email the consumer gets; every other step sends nothing.
EXPECTED = {
    (S.SUBMITTED, S.INFORMATION_REQUESTED): "information_requested",
    (S.RESUBMITTED, S.INFORMATION_REQUESTED): "information_requested",
    (S.SUBMITTED, S.VERIFIED): "verified",
    (S.RESUBMITTED, S.VERIFIED): "verified",
    (S.SUBMITTED, S.REJECTED): "rejected",
    (S.INFORMATION_REQUESTED, S.REJECTED): "rejected",
    (S.RESUBMITTED, S.REJECTED): "rejected",
    (S.SUBMITTED, S.WITHDRAWN): "withdrawn",
    (S.VERIFIED, S.WITHDRAWN): "withdrawn",
    (S.VERIFIED, S.REPLACEMENT_APPROVED): "replacement_approved",
    (S.REPLACEMENT_APPROVED, S.REPLACEMENT_SHIPPED): "replacement_shipped",
    (S.DISPOSAL_SUBMITTED, S.REPLACEMENT_SHIPPED): "disposal_refused",
    (S.DISPOSAL_SUBMITTED, S.DISPOSAL_CONFIRMED): "disposal_confirmed",
    (S.REJECTED, S.SUBMITTED): "reopened",
    (S.INFORMATION_REQUESTED, S.RESUBMITTED): None,
    (S.REPLACEMENT_SHIPPED, S.DISPOSAL_SUBMITTED): None,
    (S.DISPOSAL_CONFIRMED, S.CLOSED): None,
}


@pytest.mark.parametrize(("from_status", "to_status"), sorted(EXPECTED))
def test_each_step_writes_the_right_email_with_it(from_status, to_status):
    claim = ClaimFactory(status=from_status)
    claim_transition(claim_id=claim.pk, to_status=to_status, actor=SYSTEM, note="Because.")
    kinds = list(OutboundEmail.objects.filter(claim=claim).values_list("kind", flat=True))
    expected = EXPECTED[(from_status, to_status)]
    assert kinds == ([expected] if expected else [])


def test_every_email_of_the_table_is_expected():
    assert set(STEP_EMAILS.values()) - {"received"} <= set(filter(None, EXPECTED.values()))


def test_refused_step_writes_no_email():
    claim = ClaimFactory(status=S.SUBMITTED)
    with pytest.raises(TransitionRefused):
        claim_transition(claim_id=claim.pk, to_status=S.CLOSED, actor=SYSTEM)
    assert not OutboundEmail.objects.exists()


def test_submitted_claim_writes_its_receipt(recall, speaker):
    from recallcases.claims.services import claim_submit
    from recallcases.core.photo_pipeline import process_photo
    from tests.images import jpeg_bytes

    claim = claim_submit(
        recall=recall,
        product=speaker,
        serial_as_typed="A3102DMX10000077",
        details=consumer_details(),
        photo=process_photo(jpeg_bytes()),
    ).claim
    email = OutboundEmail.objects.get(claim=claim)
    assert (email.kind, email.state, email.event.to_status) == ("received", "pending", S.SUBMITTED)


def test_deliver_sends_once_in_the_consumers_language(client, recall, speaker):
    # given: a French-speaking consumer's claim, verified
    claim = ClaimFactory(product=speaker, language="fr-ca", email="camille@example.ca")
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    email = OutboundEmail.objects.get(claim=claim)
    # when: the task runs twice (the broker may deliver it twice)
    first, _ = deliver(email_id=email.pk)
    second, _ = deliver(email_id=email.pk)
    # then: one message, in French, with the row's Message-ID and a working private link
    assert (first, second) == (Outcome.SENT, Outcome.SKIPPED)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille@example.ca"]
    assert message.extra_headers["Message-ID"] == email.message_id
    assert claim.reference in message.subject
    assert "vérifiée" in message.subject
    assert "800-988-7973" in message.body
    link = next(word for word in message.body.split() if "/fr-ca/status/" in word)
    assert (
        claim.reference in client.get(link.removeprefix("http://127.0.0.1:8000")).content.decode()
    )
    html = message.alternatives[0].content
    assert 'lang="fr-ca"' in html and claim.reference in html
    email.refresh_from_db()
    assert (email.state, email.attempts) == (EmailState.SENT, 1)


def test_shipped_email_names_the_carrier_and_tracking_link(speaker):
    from recallcases.claims.services import claim_ship

    claim = ClaimFactory(product=speaker, status=S.REPLACEMENT_APPROVED)
    fulfiller = member_of("Fulfilment")
    from recallcases.claims.transitions import Actor

    claim_ship(
        claim_id=claim.pk, actor=Actor.staff(fulfiller), carrier="UPS", tracking_number="1Z9"
    )
    deliver(email_id=OutboundEmail.objects.get(claim=claim).pk)
    body = mail.outbox[0].body
    assert "UPS" in body and "1Z9" in body
    assert "https://www.ups.com/track?tracknum=1Z9" in body
    assert claim.disposal_code in body  # and what to do with the recalled unit now


@override_settings(
    MAILERS={
        "default": {
            "BACKEND": "recallcases.notifications.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    },
    OUTBOX_MAX_ATTEMPTS=3,
)
def test_mail_server_down_retries_with_backoff_then_fails_then_staff_retry():
    claim = ClaimFactory(status=S.SUBMITTED)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    email = OutboundEmail.objects.get(claim=claim)
    # when: the mail server refuses every try
    delays = []
    for _ in range(3):
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        outcome, delay = deliver(email_id=email.pk)
        delays.append((outcome, delay))
    # then: two retries, further apart each time (with jitter), then failed with the error
    assert [o for o, _ in delays] == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    assert 15 <= delays[0][1] <= 30 and 30 <= delays[1][1] <= 60
    email.refresh_from_db()
    assert (email.state, email.attempts) == (EmailState.FAILED, 3)
    assert "ConnectionRefusedError" in email.last_error
    # and staff send it again: pending, fresh count
    assert outbox_retry(email_id=email.pk)
    email.refresh_from_db()
    assert (email.state, email.attempts) == (EmailState.PENDING, 0)


def test_email_not_due_yet_is_not_sent():
    claim = ClaimFactory(status=S.SUBMITTED)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    email = OutboundEmail.objects.get(claim=claim)
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert deliver(email_id=email.pk) == (Outcome.SKIPPED, 0)
    assert mail.outbox == []


def test_publish_fails_fast_and_quietly_when_redis_is_down():
    from recallcases.celery import app
    from tests.notifications.conftest import _drop_broker_connections

    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    # Earlier in-process tasks leave pools connected to the memory broker: make them afresh.
    app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False)
    _drop_broker_connections(app)
    try:
        started = time.monotonic()
        assert outbox_enqueue(email_id=12345) is False
        assert time.monotonic() - started < 10
    finally:
        app.conf.update(**previous)
        _drop_broker_connections(app)


def test_reminders_once_per_period_of_the_recalls_days(speaker):
    product = ProductFactory()
    product.recall.disposal_reminder_days = 14
    product.recall.save()
    shipped = ClaimFactory(product=product, status=S.REPLACEMENT_SHIPPED)
    asked = ClaimFactory(product=product, status=S.INFORMATION_REQUESTED)
    fresh = ClaimFactory(product=product, status=S.REPLACEMENT_SHIPPED)
    now = timezone.now()
    from recallcases.claims.models import Claim

    Claim.objects.filter(pk__in=[shipped.pk, asked.pk]).update(updated_at=now - timedelta(days=15))
    # when: the hourly job runs several times in the same period
    assert reminders_write(now=now) == 2
    assert reminders_write(now=now) == 0
    assert reminders_write(now=now + timedelta(hours=5)) == 0
    # then: one disposal reminder, one information reminder, none for the fresh claim
    kinds = dict(OutboundEmail.objects.values_list("claim_id", "kind"))
    assert kinds == {shipped.pk: "disposal_reminder", asked.pk: "information_reminder"}
    assert fresh.pk not in kinds
    # and 14 days later: one more each, and the fresh claim's first
    assert reminders_write(now=now + timedelta(days=14)) == 3


def test_claim_page_shows_the_claims_emails_and_failed_list(client, speaker):
    claim = ClaimFactory(product=speaker)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    email = OutboundEmail.objects.get(claim=claim)
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=EmailState.FAILED, attempts=8, last_error="SMTPServerDisconnected: gone"
    )
    client.force_login(member_of("Reviewer"))
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "Claim verified" in page and "Failed" in page and "SMTPServerDisconnected" in page
    failed = client.get("/workspace/emails/failed/").content.decode()
    assert claim.reference in failed
    client.post(f"/workspace/emails/{email.pk}/retry/")
    email.refresh_from_db()
    assert email.state == EmailState.PENDING


def test_outbox_send_command_sends_what_is_due_once():
    import io

    from django.core.management import call_command

    claim = ClaimFactory(status=S.SUBMITTED)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    OutboundEmail.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    out = io.StringIO()
    call_command("outbox_send", stdout=out)
    call_command("outbox_send", stdout=out)
    assert len(mail.outbox) == 1
    assert out.getvalue().splitlines() == [
        "0 reminders written; emails: sent 1.",
        "0 reminders written; emails: none due.",
    ]
