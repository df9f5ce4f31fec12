"""The outbox delivers each consumer email once, through Redis, a Celery worker and SMTP, and
keeps doing so when Redis goes away, the mail server refuses, or a worker dies mid-send.

Every process is real (see conftest.py). The sweep that beat runs every 30 s is published here
by the test (`outbox_sweep.delay()`): the same task, run by the worker, only sooner than beat
would; each test says where its scenario needs it.
"""

import re
import signal
import time

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from recallcases.claims.models import Claim, PhotoKind
from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.services import claim_consumer_upload, claim_ship, claim_submit
from recallcases.claims.transitions import Actor, claim_transition
from recallcases.core.photo_pipeline import process_photo
from recallcases.notifications.models import EmailKind as K
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.notifications.tasks import outbox_sweep, send_outbound_email
from recallcases.workspace.roles import FULFILMENT, RECALL_MANAGER, REVIEWER
from tests.factories import consumer_details
from tests.images import jpeg_bytes
from tests.notifications.conftest import poll, wait_for
from tests.workspace.conftest import member_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    # The workers are other processes: they see only what the test has committed.
    pytest.mark.django_db(transaction=True),
    # Skip (or, in CI, fail) before any process is started when PostgreSQL is not there.
    pytest.mark.usefixtures("postgres"),
]

SITE_URL = "http://testserver"  # what the workers are given as SITE_URL
# The worker's log line of a finished sweep, with the number of emails it handed on.
SWEEP_DONE = re.compile(r"tasks\.outbox_sweep\[[\w-]+\] succeeded in [\d.e-]+s: (\d+)")


def submit(recall, product, *, n: int = 1, language: str = "en") -> Claim:
    """File a claim as the claim form does; its email is published after commit."""
    return claim_submit(
        recall=recall,
        product=product,
        serial_as_typed=f"A3102DMX{10000100 + n:08d}",
        details=consumer_details(email=f"camille{n}@example.ca", language=language),
        photo=process_photo(jpeg_bytes()),
    ).claim


def sweep(workers) -> int:
    """Publish the sweep and wait until a worker ran it; returns how many emails it handed on."""
    before = [len(SWEEP_DONE.findall(w.text())) for w in workers]
    outbox_sweep.delay()

    def ran():
        return [
            n
            for w, b in zip(workers, before, strict=True)
            for n in SWEEP_DONE.findall(w.text())[b:]
        ]

    return int(wait_for(ran, "a worker to run the sweep")[0])


def sweep_until(workers, predicate, what: str, timeout: float = 20.0):
    """Run the sweep every second, as beat does every 30 s, until `predicate` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep(workers)
        if value := poll(predicate, timeout=1.0):
            return value
    pytest.fail(f"the sweep ran for {timeout:g} s without {what}", pytrace=False)


def outbox(claims) -> list[OutboundEmail]:
    """The claims' emails as the database has them now, oldest first."""
    return list(OutboundEmail.objects.filter(claim__in=claims).order_by("created_at", "pk"))


def by_message_id(received) -> dict:
    return {message.message_id: message for message in received}


def test_claim_walked_to_closed_sends_one_email_per_step(
    recall, speaker, celery_worker, smtp_server, client
):
    # given a worker, an SMTP server that accepts, and the staff of each role
    worker = celery_worker()
    mailbox = smtp_server.mailbox
    reviewer = Actor.staff(member_of(REVIEWER))
    manager = Actor.staff(member_of(RECALL_MANAGER))
    fulfiller = Actor.staff(member_of(FULFILMENT))

    def has_received(count):
        wait_for(lambda: len(mailbox.received()) >= count, f"email number {count} to arrive")

    # when a French-speaking consumer's claim is walked from submitted to closed, each step in
    # its own transaction as the pages do, waiting for each step's email before the next
    claim = submit(recall, speaker, language="fr-ca")
    has_received(1)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=reviewer)
    has_received(2)
    claim_transition(claim_id=claim.pk, to_status=S.REPLACEMENT_APPROVED, actor=manager)
    has_received(3)
    claim_ship(
        claim_id=claim.pk, actor=fulfiller, carrier="Canada Post", tracking_number="7023 2109 8765"
    )
    has_received(4)
    claim_consumer_upload(
        claim=Claim.objects.get(pk=claim.pk), photo=process_photo(jpeg_bytes(color=(9, 9, 9)))
    )
    claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_CONFIRMED, actor=reviewer)
    has_received(5)
    claim_transition(claim_id=claim.pk, to_status=S.CLOSED, actor=reviewer)

    # then one email per step that tells the consumer something, none for their upload or closing
    claim.refresh_from_db()
    assert claim.status == S.CLOSED
    assert claim.photos.filter(kind=PhotoKind.DISPOSAL).exists()
    assert sweep([worker]) == 0, "nothing is left pending"
    rows = outbox([claim])
    assert [row.kind for row in rows] == [
        K.RECEIVED,
        K.VERIFIED,
        K.REPLACEMENT_APPROVED,
        K.REPLACEMENT_SHIPPED,
        K.DISPOSAL_CONFIRMED,
    ]
    received = mailbox.received()
    assert len(received) == len(rows) == 5
    # each message is its row's: a Message-ID of its own, fixed when the row was written
    assert [message.message_id for message in received] == [row.message_id for row in rows]
    assert len({row.message_id for row in rows}) == 5
    assert all(message.rcpt_tos == ("camille1@example.ca",) for message in received)
    assert all(message.to == "camille1@example.ca" for message in received)
    assert [(row.state, row.attempts) for row in rows] == [(EmailState.SENT, 1)] * 5
    assert all(claim.reference in message.subject for message in received)

    shipped = received[3].body
    assert "Canada Post" in shipped
    assert "702321098765" in shipped

    # in the consumer's language: the subject is the French catalogue's, not the English text
    english = "We received your claim %(reference)s"
    with translation.override("fr-ca"):
        french = gettext(english)
    assert french != english, "the fr_CA catalogue translates the subject of the first email"
    assert received[0].subject == french % {"reference": claim.reference}

    # and every message's link opens the claim's status page
    for message in received:
        link = re.search(re.escape(SITE_URL) + r"(/\S+)", message.body)
        assert link, f"no status link in {message.subject!r}"
        page = client.get(link[1])
        assert page.status_code == 200
        assert claim.reference in page.content.decode()


def test_redis_down_while_claims_are_submitted_then_back_every_email_once(
    recall, speaker, broker, celery_worker, smtp_server
):
    # given Redis is down
    broker.stop()

    # when three consumers submit their claims
    claims = []
    for n in (1, 2, 3):
        started = time.monotonic()
        claims.append(submit(recall, speaker, n=n))
        # the claim is filed; only the hand-off to the broker failed, and fast
        assert time.monotonic() - started < 5
    assert [(row.state, row.attempts) for row in outbox(claims)] == [(EmailState.PENDING, 0)] * 3

    # and Redis comes back, with a worker, and the sweep runs (beat's job every 30 s)
    broker.start()
    worker = celery_worker()
    assert sweep([worker]) == 3

    # then each consumer gets their email once
    mailbox = smtp_server.mailbox
    wait_for(lambda: len(mailbox.received()) >= 3, "the three emails")
    assert sweep([worker]) == 0
    assert sweep([worker]) == 0
    received = mailbox.received()
    assert len(received) == 3
    assert sorted(message.to for message in received) == [
        "camille1@example.ca",
        "camille2@example.ca",
        "camille3@example.ca",
    ]
    rows = outbox(claims)
    assert set(by_message_id(received)) == {row.message_id for row in rows}
    assert [(row.state, row.attempts) for row in rows] == [(EmailState.SENT, 1)] * 3


def test_smtp_refusing_for_a_while_then_accepting_every_email_once(
    recall, speaker, celery_worker, smtp_server
):
    # given a mail server that answers "try again later"
    mailbox = smtp_server.mailbox
    mailbox.refusing.set()
    worker = celery_worker()

    # when two claims are submitted
    claims = [submit(recall, speaker, n=n) for n in (1, 2)]

    # then the worker tries again by itself, after its backoff, and records why it failed. (No
    # sweep here: it would hide a worker that leaves its retries to the sweep, every 30 s.)
    def retried():
        return all(row.attempts >= 2 and "451" in row.last_error for row in outbox(claims))

    wait_for(retried, "each email to be tried at least twice", timeout=10)
    assert all(row.state == EmailState.PENDING for row in outbox(claims))
    assert mailbox.received() == []

    # when the mail server accepts again
    mailbox.refusing.clear()

    # then each email arrives, once
    wait_for(lambda: len(mailbox.received()) >= 2, "the two emails")
    wait_for(lambda: all(row.state == EmailState.SENT for row in outbox(claims)), "rows sent")
    assert sweep([worker]) == 0
    received = mailbox.received()
    assert len(received) == 2
    rows = outbox(claims)
    assert set(by_message_id(received)) == {row.message_id for row in rows}
    assert all(row.attempts > 1 and row.sent_at for row in rows)


def test_worker_killed_while_smtp_is_receiving_email_arrives_once(
    recall, speaker, celery_worker, smtp_server
):
    # given a worker sending a claim's email, and the mail server not yet answering its DATA
    mailbox = smtp_server.mailbox
    mailbox.hold.set()
    first = celery_worker("first")
    claim = submit(recall, speaker)
    wait_for(mailbox.receiving.is_set, "the worker to be sending the message")

    # when the worker is killed there and then
    first.kill(signal.SIGKILL)
    # the server drops the message it could not acknowledge (the client went away)
    wait_for(lambda: mailbox.dropped, "the server to see the connection go")
    mailbox.hold.clear()
    assert mailbox.received() == []
    row = OutboundEmail.objects.get(claim=claim)
    assert row.state == EmailState.PENDING

    # and another worker is up: the killed task is not acknowledged (acks_late), but Redis gives
    # it back only after the visibility timeout (an hour); the sweep brings the row back now
    second = celery_worker("second")
    sweep_until([second], mailbox.received, "the email being sent again")

    # then the consumer gets it once, with the Message-ID of its row
    assert sweep([second]) == 0
    received = mailbox.received()
    assert [message.message_id for message in received] == [row.message_id]
    assert received[0].message_id == mailbox.dropped[0].message_id
    row.refresh_from_db()
    assert row.state == EmailState.SENT


def test_duplicate_task_sends_once(recall, speaker, celery_worker, smtp_server):
    # given two workers, one of them in the middle of sending a claim's email
    mailbox = smtp_server.mailbox
    mailbox.hold.set()
    workers = [celery_worker("one"), celery_worker("two")]
    claim = submit(recall, speaker)
    row = OutboundEmail.objects.get(claim=claim)
    wait_for(mailbox.receiving.is_set, "a worker to be sending the message")
    held_since = time.monotonic()

    # when the same email is handed to the workers again, three times, and by the sweep
    handled_before = sum(w.count(" succeeded in ") for w in workers)
    for _ in range(3):
        send_outbound_email.delay(row.pk)
    # (the sweep takes a pending row once its grace, 0.5 s for these workers, has passed)
    time.sleep(max(0.0, 0.6 - (timezone.now() - row.next_attempt_at).total_seconds()))
    assert sweep(workers) == 1

    # then the other worker skips them all while the first is still sending (the row is locked)
    wait_for(
        lambda: sum(w.count(" succeeded in ") for w in workers) >= handled_before + 5,
        "the other worker to handle the duplicates",
        # while the first worker still waits, within its SMTP timeout (10 s)
        timeout=8 - (time.monotonic() - held_since),
    )
    assert sum(w.count("'skipped'") for w in workers) >= 4
    mailbox.hold.clear()
    wait_for(lambda: mailbox.received(), "the email")
    wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).state == EmailState.SENT, "row sent")

    # and once it is sent, a late duplicate is skipped too
    handled_before = sum(w.count(" succeeded in ") for w in workers)
    send_outbound_email.delay(row.pk)
    assert sweep(workers) == 0
    wait_for(
        lambda: sum(w.count(" succeeded in ") for w in workers) >= handled_before + 2,
        "the late duplicate to be handled",
    )
    received = mailbox.received()
    assert [message.message_id for message in received] == [row.message_id]
    row.refresh_from_db()
    assert (row.state, row.attempts) == (EmailState.SENT, 1)
