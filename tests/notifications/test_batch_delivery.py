"""Batches: the due rows go over one connection, each once, whatever dies or refuses on the way.

In-process batches (deliver_batch) against a real aiosmtpd server on loopback, and Celery workers
(conftest.py) for the crash: a worker killed mid-batch, its rows sent by another once its lease
is over. Nothing of our own stack is mocked.
"""

import email
import email.policy
import signal
import threading
import time
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from recallcases.notices.emails import compose_notice, compose_notices
from recallcases.notices.models import Purchaser
from recallcases.notices.services import sending
from recallcases.notices.services.sending import notices_send
from recallcases.notifications.models import Channel, EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import (
    MARKS_PER_STATEMENT,
    BatchResult,
    deliver,
    deliver_batch,
)
from recallcases.notifications.tasks import outbox_send_batch
from recallcases.notifications.tokens import verification_code_shown
from tests.notifications.conftest import poll, wait_for

NOTICE = EmailKind.RECALL_NOTICE


def purchasers_add(recall, count: int, **fields) -> list[Purchaser]:
    start = Purchaser.objects.count()
    return Purchaser.objects.bulk_create(
        Purchaser(
            recall=recall,
            name=fields.get("name", f"Camille Roy {n}"),
            email=f"purchaser{n}@example.ca",
            order_number=f"112-{n:04d}",
            country="CA",
            language="fr-ca" if n % 3 == 0 else "en",
            product=recall.products.first(),
        )
        for n in range(start, start + count)
    )


def notices_write(recall, count: int, **fields) -> list[int]:
    """Write `count` notices due now; nothing is handed to a worker (the test sends them)."""
    purchasers_add(recall, count, **fields)
    with mock.patch.object(sending, "notices_publish"):  # the test hands them to batches
        notices_send(recall=recall, kind=NOTICE)
    # Due now, all of them (notices_send spaces them at NOTICE_RATE_PER_MINUTE).
    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    return list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))


@pytest.fixture
def smtp_mailer(settings, smtp_server):
    """Django's SMTP backend, pointed at the test's aiosmtpd server."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "recallcases.notifications.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 10},
        }
    }
    return smtp_server


def message_ids() -> dict[int, str]:
    return dict(OutboundEmail.objects.values_list("pk", "message_id"))


# --- In-process batches -------------------------------------------------------------------------


@pytest.mark.django_db
def test_batch_sends_every_due_notice_over_one_connection_and_marks_ten_a_statement(
    speaker, smtp_mailer, django_assert_num_queries
):
    # given: 30 notices due, in English and in French
    ids = notices_write(speaker.recall, 30)
    # when: one batch runs
    # the claim (savepoint, select, update, release), the rows, their purchasers, the hand-back,
    # commits without waiting for the disk (on, off); then a statement marks ten messages sent
    with django_assert_num_queries(9 + 3):
        result = deliver_batch()
    # then: each was received once, all on one connection, and each row says sent
    received = smtp_mailer.mailbox.received()
    assert (result.sent, len(received)) == (30, 30)
    assert Counter(r.message_id for r in received) == Counter(message_ids().values())
    assert len(set(smtp_mailer.mailbox.peers)) == 1
    rows = OutboundEmail.objects.filter(pk__in=ids)
    assert set(rows.values_list("state", "attempts", "lease_id")) == {(EmailState.SENT, 1, None)}
    # and: a batch run again finds nothing to send
    assert deliver_batch() == BatchResult()


@pytest.mark.django_db
def test_batch_message_is_the_one_compose_notice_makes(speaker):
    # given: purchasers of every shape the notice words differently, one named to test escaping
    purchasers_add(speaker.recall, 3, name='Zoë <b>"&"</b>')
    Purchaser.objects.create(
        recall=speaker.recall, email="anon@example.com", country="US", name="", order_number=""
    )
    Purchaser.objects.create(
        recall=speaker.recall,
        email="serial@example.com",
        country="CA",
        language="fr-ca",
        serial="A3102DMX10000001",
        product=speaker,
    )
    notices_send(recall=speaker.recall, kind=NOTICE)
    emails = list(OutboundEmail.objects.order_by("pk"))
    # when: the batch composes them all, and compose_notice each
    batch = compose_notices(emails)
    # then: the same messages, word for word, headers included
    for row, message in zip(emails, batch, strict=True):
        message.extra_headers["Message-ID"] = single_id = row.message_id
        single = compose_notice(row)
        single.extra_headers["Message-ID"] = single_id
        assert (message.subject, message.body, message.to) == (
            single.subject,
            single.body,
            single.to,
        )
        assert message.alternatives == single.alternatives
        # and: each carries its own verification code
        assert verification_code_shown(row.verification_code) in message.body
        assert message.extra_headers == single.extra_headers
        # and: the bytes the SMTP backend sends (headers made once, parts encoded in C) read as
        # the message the email package builds
        fast, full = (
            email.message_from_bytes(
                m.message(policy=email.policy.SMTP).as_bytes(), policy=email.policy.default
            )
            for m in (message, single)
        )
        for header in ("Subject", "From", "To", "List-Unsubscribe", "List-Unsubscribe-Post"):
            assert fast[header] == full[header], header
        for kind in ("plain", "html"):
            assert fast.get_body((kind,)).get_content() == full.get_body((kind,)).get_content()
        assert fast.get_content_type() == "multipart/alternative"
    assert "Zoë &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;" in batch[0].alternatives[0][0]
    assert 'Zoë <b>"&"</b>' in batch[0].body


@pytest.mark.django_db
def test_batch_refused_by_the_server_retries_and_then_sends_each_once(speaker, smtp_mailer):
    # given: 10 notices due, and a mail server refusing everything (451)
    notices_write(speaker.recall, 10)
    smtp_mailer.mailbox.refusing.set()
    # when: a batch runs
    first = deliver_batch()
    # then: it stops after three failures in a row and hands back the rest, untried
    assert (first.sent, first.retry, first.released) == (0, 3, 7)
    tried = OutboundEmail.objects.filter(attempts=1)
    assert tried.count() == 3 and all(e.last_error == "SMTPDataError 451" for e in tried)
    assert not OutboundEmail.objects.exclude(lease_id=None).exists()
    # when: the server takes mail again and the retries are due
    smtp_mailer.mailbox.refusing.clear()
    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    second = deliver_batch()
    # then: every notice arrives once
    assert second.sent == 10
    received = Counter(r.message_id for r in smtp_mailer.mailbox.received())
    assert received == Counter(message_ids().values())


@pytest.mark.django_db
def test_batch_skips_rows_not_due_and_unsubscribed_purchasers(speaker, smtp_mailer):
    ids = notices_write(speaker.recall, 3)
    OutboundEmail.objects.filter(pk=ids[0]).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    Purchaser.objects.filter(notice_email_id=ids[1]).update(unsubscribed_at=timezone.now())
    result = deliver_batch()
    assert (result.sent, result.retry) == (1, 1)
    assert [r.message_id for r in smtp_mailer.mailbox.received()] == [message_ids()[ids[2]]]
    assert OutboundEmail.objects.get(pk=ids[1]).last_error == "NoticeNotWanted"


@pytest.mark.django_db
def test_batch_keeps_to_the_rate_per_second_and_marks_each_before_waiting(
    speaker, smtp_mailer, settings, django_assert_num_queries
):
    # given: a provider allowing 20 messages a second
    settings.OUTBOX_RATE_PER_SECOND = 20
    notices_write(speaker.recall, 5)
    waits = []
    # when: a batch sends 5 (the sleeps recorded, then slept)
    with django_assert_num_queries(9 + 5):
        result = deliver_batch(sleep=lambda seconds: (waits.append(seconds), time.sleep(seconds)))
    # then: it waited before each message after the first, up to 1/20 s, and marked each sent
    # before waiting (a crash while waiting sends nothing twice)
    assert result.sent == 5
    assert len(waits) == 4 and all(0 < wait <= 0.05 for wait in waits)


@pytest.mark.django_db
def test_batch_leaves_rows_leased_by_another_batch_alone(speaker, smtp_mailer):
    ids = notices_write(speaker.recall, 2)
    # given: one row held by a live batch (a worker busy with it)
    OutboundEmail.objects.filter(pk=ids[0]).update(
        leased_until=timezone.now() + timedelta(minutes=5), lease_id="0" * 32
    )
    # when: another batch, and the single-row task, run
    assert deliver_batch().sent == 1
    assert deliver(email_id=ids[0])[0] == "skipped"
    # then: the held row was not sent; once its lease is over, it is
    assert len(smtp_mailer.mailbox.received()) == 1
    OutboundEmail.objects.filter(pk=ids[0]).update(leased_until=timezone.now())
    assert deliver_batch().sent == 1
    assert len(smtp_mailer.mailbox.received()) == 2


@pytest.mark.django_db
def test_batch_sends_through_an_anymail_backend(speaker, settings):
    # given: a provider's API through django-anymail (its test backend: no network)
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    notices_write(speaker.recall, 4)
    # when
    result = deliver_batch()
    # then: each message went to the provider once, with its Message-ID
    assert result.sent == 4
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        message_ids().values()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_send_each_notice_once(postgres, speaker, smtp_mailer, settings):
    # given: 120 notices due, and batches of 25 taken by two workers at once
    settings.OUTBOX_BATCH_SIZE = 25
    notices_write(speaker.recall, 120)
    results: list[BatchResult] = []

    def work():
        try:
            while (batch := deliver_batch()).sent:
                results.append(batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then: every notice arrived exactly once
    received = Counter(r.message_id for r in smtp_mailer.mailbox.received())
    assert received == Counter(message_ids().values())
    assert sum(batch.sent for batch in results) == 120
    assert not OutboundEmail.objects.exclude(state=EmailState.SENT).exists()


# --- A worker killed mid-batch ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_batch_of_a_killed_worker_is_sent_after_its_lease_and_only_its_window_twice(
    postgres, speaker, celery_worker, smtp_server
):
    # given: 40 notices due, and a mail server that holds its answer to the 16th message
    notices_write(speaker.recall, 40)
    smtp_server.mailbox.hold_after = 15
    first = celery_worker("first", OUTBOX_LEASE_SECONDS="3")
    outbox_send_batch.delay()
    wait_for(smtp_server.mailbox.receiving.is_set, "the 16th message to be held")
    # when: the worker is killed while the server holds its message (before its 250)
    first.kill(signal.SIGKILL)
    smtp_server.mailbox.hold.clear()
    # then: the batch had marked the first ten sent (a statement each ten); the other 30 stay
    # leased to the dead batch, and a new worker's batch leaves them alone until the lease is over
    assert OutboundEmail.objects.filter(state=EmailState.SENT).count() == MARKS_PER_STATEMENT
    assert OutboundEmail.objects.exclude(lease_id=None).count() == 30
    celery_worker("second", OUTBOX_LEASE_SECONDS="3")

    def all_sent():
        outbox_send_batch.delay()
        return poll(lambda: not OutboundEmail.objects.exclude(state=EmailState.SENT).exists(), 1.0)

    wait_for(all_sent, "the killed batch's notices to be sent")
    # and: every notice arrived; twice only the five the server took after the last mark (the
    # window of ADR 0005), with their Message-ID; the held one was dropped, then sent once
    received = [r.message_id for r in smtp_server.mailbox.received()]
    ids = [message_ids()[pk] for pk in sorted(message_ids())]
    assert Counter(received) == Counter(ids) + Counter(ids[10:15])
    assert len(smtp_server.mailbox.dropped) == 1


@pytest.mark.django_db
def test_batch_leaves_texts_to_their_provider(speaker, smtp_mailer):
    # given: a notice due, and a text due (texts go one by one through the text provider)
    notices_write(speaker.recall, 1)
    text = OutboundEmail.objects.create(
        kind=NOTICE,
        channel=Channel.TEXT,
        dedupe_key="text:1",
        message_id="<text-1@stand-in.invalid>",
        next_attempt_at=timezone.now(),
    )
    # when: a batch runs
    result = deliver_batch()
    # then: it sent the notice by email and did not take the text
    assert result.sent == 1 and len(smtp_mailer.mailbox.received()) == 1
    text.refresh_from_db()
    assert (text.state, text.attempts, text.lease_id) == (EmailState.PENDING, 0, None)
