"""Writing the outbox, and handing its rows to Celery once the transaction has committed."""

import logging
import random
import smtplib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import mailers
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recallcases.audit.models import ActorKind, AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.lifecycle import STEPS, SUBMISSION, reminders
from recallcases.claims.models import Claim, ClaimEvent
from recallcases.claims.services import ClaimRefused, claim_links_revoke
from recallcases.claims.services.codes import PoolLevel
from recallcases.notifications.emails import KINDS, compose, compose_many, new_message_id
from recallcases.notifications.models import Channel, EmailState, OutboundEmail, TextOptOut
from recallcases.notifications.models import EmailKind as K
from recallcases.notifications.texts import TextNotWanted, text_send, text_wanted

logger = logging.getLogger(__name__)

# The Celery task that sends one outbox row (notifications/tasks.py).
SEND_TASK = "recallcases.notifications.tasks.send_outbound_email"
# The Celery task that sends a batch of due rows over one connection (notifications/tasks.py).
BATCH_TASK = "recallcases.notifications.tasks.outbox_send_batch"

# (from status, to status) → the email that step sends, as the claims' lifecycle table says.
STEP_EMAILS = {
    (step.from_status, step.to_status): K(step.email_kind)
    for step in (SUBMISSION, *STEPS)
    if step.email_kind is not None
}


def email_kind_for(*, from_status: str, to_status: str) -> str | None:
    """The email a step sends to the consumer, or None (their own uploads, closing)."""
    return STEP_EMAILS.get((from_status, to_status))


def outbox_write_for_event(claim: Claim, event: ClaimEvent) -> OutboundEmail | None:
    """Write the email of a claim's step, in the step's transaction; send it after commit."""
    kind = email_kind_for(from_status=event.from_status, to_status=event.to_status)
    if kind is None:
        return None
    if text_wanted(claim):
        # The same step as a status text, for a consumer who asked for them.
        outbox_write(
            kind=kind,
            dedupe_key=f"event:{event.pk}:text",
            claim=claim,
            event=event,
            channel=Channel.TEXT,
        )
    return outbox_write(kind=kind, dedupe_key=f"event:{event.pk}", claim=claim, event=event)


class UnknownEmailKind(ValueError):
    """An email of a kind no app registered a composer for: a programming error."""


@dataclass(frozen=True)
class EmailDraft:
    """One email to write: what outbox_write takes, as a value for outbox_write_many."""

    kind: str
    # Unique per cause (an event, a reminder period, a purchaser's notice): one row per cause.
    dedupe_key: str
    claim: Claim | None = None
    event: ClaimEvent | None = None
    # When empty: the claim's consumer.
    recipient: str = ""
    # Ids the message is about besides the claim, e.g. {"incident": 12}: never personal data.
    context: dict | None = None
    # When it may be sent; now when None.
    due_at: datetime | None = None
    channel: str = Channel.EMAIL


def _check_kinds(kinds: set[str]) -> None:
    unknown = kinds - KINDS.keys()
    if unknown:
        raise UnknownEmailKind(
            f"no composer is registered for the email kind(s) {', '.join(sorted(unknown))}"
        )


def _row(draft: EmailDraft, now: datetime) -> OutboundEmail:
    return OutboundEmail(
        kind=draft.kind,
        dedupe_key=draft.dedupe_key,
        claim=draft.claim,
        event=draft.event,
        recipient=draft.recipient,
        context=draft.context or {},
        channel=draft.channel,
        message_id=new_message_id(),
        next_attempt_at=draft.due_at or now,
    )


def outbox_write(
    *,
    kind: str,
    dedupe_key: str,
    claim: Claim | None = None,
    event: ClaimEvent | None = None,
    recipient: str = "",
    context: dict | None = None,
    due_at: datetime | None = None,
    channel: str = Channel.EMAIL,
) -> OutboundEmail | None:
    """Write one email (or status text) into the outbox, in the caller's transaction; publish it
    after commit.

    Returns the row, or None when an email with the same `dedupe_key` is already written (a step
    or a reminder run twice sends one email). A kind that no composer is registered for raises
    UnknownEmailKind at once rather than writing a row that could never be sent.
    """
    _check_kinds({kind})
    draft = EmailDraft(
        kind=kind,
        dedupe_key=dedupe_key,
        claim=claim,
        event=event,
        recipient=recipient,
        context=context,
        due_at=due_at,
        channel=channel,
    )
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            email = _row(draft, timezone.now())
            email.save(force_insert=True)
    except IntegrityError:
        if not OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
            raise  # another constraint: not a duplicate
        return None
    transaction.on_commit(lambda: _publish([(email.pk, email.next_attempt_at)]))
    return email


def outbox_write_many(
    *,
    drafts: Sequence[EmailDraft],
    publish: Callable[[list[int]], object] | None = None,
) -> list[OutboundEmail]:
    """Write many emails in one insert, in the caller's transaction; publish them after commit.

    For thousands of rows (recall notices): unlike outbox_write, a `dedupe_key` already written
    fails the insert (IntegrityError), and with it the caller's transaction; callers write only
    rows not written yet, and the unique key is the guard behind them. Returns the rows, with
    their ids. `publish(ids)` hands them to workers after commit instead of one task each now
    (notices publish at their rate).
    """
    _check_kinds({draft.kind for draft in drafts})
    now = timezone.now()
    emails = OutboundEmail.objects.bulk_create([_row(draft, now) for draft in drafts])
    if emails:
        if publish is None:
            due = [(email.pk, email.next_attempt_at) for email in emails]
            transaction.on_commit(lambda: _publish(due))
        else:
            ids = [email.pk for email in emails]
            transaction.on_commit(lambda: publish(ids))
    return emails


def _publish(due: list[tuple[int, datetime]]) -> None:
    """Hand each email to a worker: now, or when due (within OUTBOX_MAX_COUNTDOWN; the sweep
    takes what is due later)."""
    now = timezone.now()
    for email_id, due_at in due:
        wait = (due_at - now).total_seconds()
        countdown = min(wait, settings.OUTBOX_MAX_COUNTDOWN) + 0.1 if wait > 0 else None
        outbox_enqueue(email_id=email_id, countdown=countdown)


def outbox_batch_enqueue(*, countdown: float | None = None, horizon: float = 0.0) -> bool:
    """Ask a worker to send a batch: the rows due now, or within `horizon` seconds, each at its
    time. Never raises (the sweep sends what no batch took)."""
    try:
        current_app.signature(BATCH_TASK, kwargs={"horizon": horizon}).apply_async(
            countdown=countdown
        )
    except Exception:  # the broker, or an eager run's own failure: the rows stay pending
        logger.warning("outbox: a batch not handed to a worker; the sweep will send its emails")
        return False
    return True


def outbox_enqueue(*, email_id: int, countdown: float | None = None) -> bool:
    """Ask a worker to send one email; never raises (the sweeper retries what is not published).

    With Redis away the publish fails within the broker's connect timeout and the row stays
    pending; the periodic sweep enqueues it again once the broker is back.
    """
    try:
        # By name, not by import: the task calls this module, so this module must not import it.
        # The app registers the task when it loads (NotificationsConfig.ready), so an eager run
        # (no broker) still runs it in-process.
        current_app.signature(SEND_TASK, args=[email_id]).apply_async(countdown=countdown)
    except Exception:  # the broker, or an eager run's own failure: the row stays pending
        logger.warning("outbox: email %s not handed to a worker; the sweep will", email_id)
        return False
    return True


def outbox_due(*, now=None, limit: int = 500) -> list[int]:
    """Pending emails whose time has come and that the publish after commit has had time for."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    return list(
        OutboundEmail.objects.filter(state=EmailState.PENDING, next_attempt_at__lte=now - grace)
        .filter(_not_leased(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def outbox_retry(*, email_id: int, actor=None) -> bool:
    """Staff send a failed email again: it starts over with a fresh count of tries."""
    updated = OutboundEmail.objects.filter(pk=email_id, state=EmailState.FAILED).update(
        state=EmailState.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if updated:
        _retry_audit(email_id=email_id, actor=actor)
        transaction.on_commit(lambda: outbox_enqueue(email_id=email_id))
    return bool(updated)


def _retry_audit(*, email_id: int, actor) -> None:
    # Which email and of what kind; never its recipient, what it says, nor the server's error
    # (which may quote the address).
    email = (
        OutboundEmail.objects.select_related("claim")
        .only("pk", "kind", "claim", "claim__reference", "claim__recall_id")
        .get(pk=email_id)
    )
    audit_record(
        actor=actor,
        action=AuditAction.EMAIL_RETRY,
        subject=email,
        subject_label=email.claim.reference if email.claim else str(email.pk),
        claim_id=email.claim_id,
        recall_id=email.claim.recall_id if email.claim else None,
        before={"state": EmailState.FAILED},
        after={"state": EmailState.PENDING, "kind": email.kind},
    )


@transaction.atomic
def claim_links_renew(*, claim_id: int, actor) -> OutboundEmail:
    """Staff revoke every private link of a claim and email its consumer a new one.

    In one transaction: the links are revoked (those of emails not sent yet included), the audit
    row is written, and the email with the new link is written to the outbox; its link is made
    when it is sent, so it is the only one that works. Raises ClaimRefused when the retention
    schedule has removed whom to write to.
    """
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if claim.anonymised_at is not None:
        raise ClaimRefused(
            _("This claim's personal data was removed: there is no one to write to.")
        )
    earlier = list(OutboundEmail.objects.filter(claim=claim).values_list("message_id", flat=True))
    revoked = claim_links_revoke(claim=claim, keys=earlier)
    entry = audit_record(
        actor=actor,
        action=AuditAction.LINKS_RENEW,
        subject=claim,
        subject_label=claim.reference,
        recall_id=claim.recall_id,
        claim_id=claim.pk,
        after={"links_revoked": revoked},
    )
    # The audit row is the cause: one email per revocation.
    return outbox_write(kind=K.LINK_RENEWED, dedupe_key=f"audit:{entry.pk}", claim=claim)


def code_pool_warn(level: PoolLevel) -> int:
    """Warn the recall managers (who import codes) that a pool runs low, then that it is empty:
    each once per import (the count of codes ever imported is in the key). Returns emails written.
    """
    permission = Permission.objects.filter(
        content_type__app_label="claims", codename="import_remedy_codes"
    ).first()
    if permission is None:
        return 0
    managers = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .exclude(email="")
        .distinct()
        .values_list("pk", "email")
    )
    stage = "empty" if level.is_empty else "low"
    written = 0
    for user_id, address in managers:
        email = outbox_write(
            kind=K.CODE_POOL_LOW,
            dedupe_key=(
                f"pool:{level.recall_id}:{level.remedy}:{level.imported}:{stage}:{user_id}"
            ),
            recipient=address,
            context={"recall": level.recall_id, "remedy": level.remedy},
        )
        written += email is not None
    return written


# reminder kind → (which claims wait for the consumer, the recall's field with the number of days),
# from the statuses of the claims' lifecycle table that name a reminder.
REMINDERS = {K(kind): waiting for kind, waiting in reminders().items()}


def reminders_write(*, now=None) -> int:
    """Write the reminders that are due: at most one per claim, kind and period of N days.

    The period is counted from the claim's last change of status, so a claim waiting 15 days
    with N = 7 is in its second period: one reminder at day 7, one at day 14, no more.
    """
    now = now or timezone.now()
    written = 0
    for kind, (waiting, days_field) in REMINDERS.items():
        for claim in Claim.objects.filter(waiting).select_related("recall"):
            days = getattr(claim.recall, days_field)
            period = (now - claim.updated_at).days // days if days else 0
            if period >= 1:
                written += _write_reminder(claim=claim, kind=kind, period=period, now=now)
    return written


def _write_reminder(*, claim: Claim, kind: str, period: int, now) -> int:
    email = outbox_write(
        kind=kind,
        dedupe_key=f"reminder:{kind}:{claim.pk}:{claim.updated_at:%Y%m%d%H%M%S}:{period}",
        claim=claim,
        due_at=now,
    )
    return 0 if email is None else 1  # None: already written for this period


# Sending one outbox row: once, and only once as far as this side can tell.


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed; a later try is scheduled
    FAILED = "failed"  # failed for the last time
    SKIPPED = "skipped"  # already sent or failed, being sent by another worker, or not due


def retry_delay(attempts: int) -> float:
    """Seconds before the next try: exponential, capped, with full jitter (no thundering herd)."""
    ceiling = min(
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def error_summary(error: BaseException) -> str:
    """A failure as it is stored, shown to staff and logged: the error's class and SMTP codes.

    Never the error's text: a refused recipient's address is in it (SMTPRecipientsRefused:
    {'jordan@example.com': (550, ...)}), and the server's words may quote the address too.
    """
    codes: list[int] = []
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _message in error.recipients.values()})
    elif isinstance(error, smtplib.SMTPResponseException):
        codes = [error.smtp_code]
    return " ".join([type(error).__name__, *(str(code) for code in codes)])


def deliver(*, email_id: int) -> tuple[Outcome, float]:
    """Send one pending email whose time has come, and record the outcome with it.

    The row stays locked while the mail server is spoken to, so two workers given the same id
    (a duplicated task, a sweep) cannot both send it: the second skips. Returns the outcome and,
    for RETRY, the delay before the next try.
    """
    now = timezone.now()
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("claim__recall", "claim__product", "event")
            .filter(pk=email_id, state=EmailState.PENDING, next_attempt_at__lte=now)
            .filter(_not_leased(now))
            .first()
        )
        if email is None:
            return Outcome.SKIPPED, 0
        email.attempts += 1
        try:
            if email.channel == Channel.TEXT:
                text_send(email)
            else:
                compose(email).send()
        except TextNotWanted:
            email.state = EmailState.CANCELLED
            email.save(update_fields=["attempts", "state"])
            return Outcome.SKIPPED, 0
        except Exception as error:  # any failure of the mail server or of the network
            email.last_error = error_summary(error)
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.state = EmailState.FAILED
                email.save(update_fields=["attempts", "last_error", "state"])
                logger.error("outbox: email %s failed for good: %s", email.pk, email.last_error)
                return Outcome.FAILED, 0
            delay = retry_delay(email.attempts)
            email.next_attempt_at = now + timedelta(seconds=delay)
            email.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning("outbox: email %s try %s failed", email.pk, email.attempts)
            return Outcome.RETRY, delay
        email.state, email.sent_at, email.last_error = EmailState.SENT, timezone.now(), ""
        email.save(update_fields=["attempts", "state", "sent_at", "last_error"])
        return Outcome.SENT, 0


def _not_leased(now: datetime) -> Q:
    """Rows no live batch holds: never leased, or leased by a batch whose time is over."""
    return Q(leased_until__isnull=True) | Q(leased_until__lt=now)


def _record_failure(email: OutboundEmail, error: BaseException, now: datetime, **lease) -> Outcome:
    """Record a failed try of `email` (held by the batch `lease`, if given): RETRY or FAILED."""
    attempts = email.attempts + 1
    summary = error_summary(error)
    changes: dict = {"attempts": attempts, "last_error": summary}
    if lease:
        changes.update(leased_until=None, lease_id=None)
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        changes["state"] = EmailState.FAILED
        logger.error("outbox: email %s failed for good: %s", email.pk, summary)
        outcome = Outcome.FAILED
    else:
        changes["next_attempt_at"] = now + timedelta(seconds=retry_delay(attempts))
        logger.warning("outbox: email %s try %s failed", email.pk, attempts)
        outcome = Outcome.RETRY
    OutboundEmail.objects.filter(pk=email.pk, **lease).update(**changes)
    return outcome


@dataclass
class BatchResult:
    """What one batch did: counts of its rows by outcome."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    # Taken, then handed back unsent: the batch's time was up, or the mail server went away.
    released: int = 0
    # Whether it took as many rows as it could: more may be waiting.
    full: bool = False

    def count(self, outcome: Outcome) -> None:
        setattr(self, str(outcome), getattr(self, str(outcome)) + 1)


# A batch stops after this many failures in a row: the mail server is away, not one message bad.
BATCH_FAILURES_IN_A_ROW = 3
# Rows a batch marks sent in one statement when it sends without waiting (see _SentMarks).
MARKS_PER_STATEMENT = 10


def deliver_batch(
    *,
    limit: int | None = None,
    horizon: float = 0.0,
    sleep: Callable[[float], object] = time.sleep,
) -> BatchResult:
    """Send the pending rows due now (or within `horizon` seconds, each at its time) over one
    connection to the mail server, and record each outcome as it comes.

    How it stays once-only (docs/adr/0005-email-outbox.md): the rows are taken with
    `SELECT ... FOR UPDATE SKIP LOCKED` and leased to this batch (`leased_until`, `lease_id`) in
    one short transaction, so no other batch, task or sweep sends them meanwhile; each row is
    marked sent (or its failure recorded) in its own statement as soon as the server answered,
    and only while this batch still holds it. The batch stops taking the next row once
    OUTBOX_BATCH_SECONDS have passed, far inside the lease, and hands back what it did not send.
    A batch that dies leaves its rows leased: once the lease is over, any batch or the sweep
    takes them again. The one row that may go twice is the one whose server answer came and whose
    mark did not (the window of ADR 0005), with the same Message-ID.

    Each template is rendered once per language for the batch (`compose_many`), and at most
    OUTBOX_RATE_PER_SECOND messages go per second (0: no limit) from this worker.
    """
    limit = limit or settings.OUTBOX_BATCH_SIZE
    started = time.monotonic()
    budget = settings.OUTBOX_BATCH_SECONDS
    lease_id = uuid.uuid4()
    now = timezone.now()
    result = BatchResult()
    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            # Texts go one by one through their provider (deliver); a batch is emails.
            .filter(channel=Channel.EMAIL)
            .filter(state=EmailState.PENDING, next_attempt_at__lte=now + timedelta(seconds=horizon))
            .filter(_not_leased(now))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return result
        OutboundEmail.objects.filter(pk__in=ids).update(
            leased_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS), lease_id=lease_id
        )
    result.full = len(ids) == limit
    emails = list(
        OutboundEmail.objects.filter(lease_id=lease_id)
        .select_related("claim__recall", "claim__product", "event")
        .order_by("next_attempt_at", "pk")
    )
    messages = compose_many(emails)
    interval = 1 / settings.OUTBOX_RATE_PER_SECOND if settings.OUTBOX_RATE_PER_SECOND > 0 else 0
    connection = mailers.default
    failures_in_a_row = 0
    next_send = time.monotonic()
    marks = _SentMarks(lease_id)
    _marks_without_flush(True)
    try:
        for email, message in zip(emails, messages, strict=True):
            if time.monotonic() - started > budget or failures_in_a_row >= BATCH_FAILURES_IN_A_ROW:
                break
            wait = max(
                next_send - time.monotonic(),
                (email.next_attempt_at - timezone.now()).total_seconds(),
            )
            if wait > 0:
                marks.flush()  # nothing waits unmarked while the batch waits
                sleep(wait)
            next_send = time.monotonic() + interval
            outcome = _batch_send(connection, email, message, lease_id=lease_id)
            if outcome == Outcome.SENT:
                marks.add(email.pk)
            result.count(outcome)
            failures_in_a_row = 0 if outcome == Outcome.SENT else failures_in_a_row + 1
    finally:
        _close_quietly(connection)
        marks.flush()
        # What this batch did not get to goes back to the pool, for the next batch or the sweep.
        result.released = OutboundEmail.objects.filter(
            lease_id=lease_id, state=EmailState.PENDING
        ).update(leased_until=None, lease_id=None)
        _marks_without_flush(False)
    return result


def _marks_without_flush(on: bool) -> None:
    """On PostgreSQL, let this session's commits return before the WAL reaches the disk.

    A mark is one small commit per message; waiting for the disk (fsync) each time cost more
    than sending the message. A worker that dies loses nothing committed; only a crash of the
    database server itself can forget the last fraction of a second of marks (at most three times
    wal_writer_delay), and those messages go again, with their Message-ID (ADR 0005).
    """
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off" if on else "RESET synchronous_commit")


def _batch_send(connection, email: OutboundEmail, message, *, lease_id) -> Outcome:
    """Send one message of a batch on `connection` and record the outcome in one statement."""
    if isinstance(message, Exception):  # it could not be composed
        return _record_failure(email, message, timezone.now(), lease_id=lease_id)
    try:
        # Open once (after a failure: again) and kept open: a backend's send_messages opens and
        # closes a connection of its own when none is open.
        connection.open()
        if not connection.send_messages([message]):
            raise smtplib.SMTPException("the mail backend sent nothing")
    except Exception as error:  # any failure of the mail server, the provider or the network
        # The connection may be broken: the next message opens a new one.
        _close_quietly(connection)
        return _record_failure(email, error, timezone.now(), lease_id=lease_id)
    return Outcome.SENT


class _SentMarks:
    """The rows a batch sent and has not marked sent yet.

    Marked MARKS_PER_STATEMENT at a time, and whenever the batch is about to wait (a rate, a row
    not due yet) or ends: sending flat out, a statement per message cost as much as the message;
    sending at a rate, each is marked alone. A batch that dies sends again (after its lease) the
    rows it had not marked: at most MARKS_PER_STATEMENT - 1 besides the one in flight.
    """

    def __init__(self, lease_id):
        self.lease_id = lease_id
        self.ids: list[int] = []

    def add(self, email_id: int) -> None:
        self.ids.append(email_id)
        if len(self.ids) >= MARKS_PER_STATEMENT:
            self.flush()

    def flush(self) -> None:
        if not self.ids:
            return
        marked = OutboundEmail.objects.filter(pk__in=self.ids, lease_id=self.lease_id).update(
            state=EmailState.SENT,
            sent_at=timezone.now(),
            last_error="",
            attempts=F("attempts") + 1,
            leased_until=None,
            lease_id=None,
        )
        if marked != len(self.ids):  # cannot happen inside the lease; said loudly if it does
            logger.error("outbox: %s emails sent after their batch lost its lease", len(self.ids))
        self.ids = []


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # a connection already broken: nothing to close
        logger.info("outbox: the mail connection closed with an error")


# A consumer's reply to a status text. Carriers and providers honour these words themselves too;
# the outbox must not text a number that sent one. French: ARRÊT / ARRET.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"}
START_WORDS = {"START", "UNSTOP", "YES"}


class Reply(StrEnum):
    STOPPED = "stopped"
    STARTED = "started"
    IGNORED = "ignored"


@transaction.atomic
def texts_reply(*, number: str, body: str) -> Reply:
    """Take a consumer's reply to a status text: STOP stops every text to that number (pending
    ones are cancelled), START lets them go again; anything else is ignored.

    `number` is the sender as the provider gives it, E.164. Audited without the number.
    """
    number = "+" + "".join(character for character in number if character.isdigit())
    word = body.strip().split(maxsplit=1)[0].upper() if body.strip() else ""
    if word in STOP_WORDS:
        TextOptOut.objects.get_or_create(number=number)
        cancelled = OutboundEmail.objects.filter(
            channel=Channel.TEXT, state=EmailState.PENDING, claim__text_number=number
        ).update(state=EmailState.CANCELLED)
        audit_record(
            actor=None,
            actor_kind=ActorKind.CONSUMER,
            action=AuditAction.TEXTS_STOP,
            subject=None,
            subject_label="—",
            after={"cancelled": cancelled},
        )
        return Reply.STOPPED
    if word in START_WORDS:
        if TextOptOut.objects.filter(number=number).delete()[0]:
            audit_record(
                actor=None,
                actor_kind=ActorKind.CONSUMER,
                action=AuditAction.TEXTS_START,
                subject=None,
                subject_label="—",
            )
        return Reply.STARTED
    return Reply.IGNORED
