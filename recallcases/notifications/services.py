"""Writing the outbox, and handing its rows to Celery once the transaction has committed."""

import logging
import random
import smtplib
from datetime import timedelta
from enum import StrEnum

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.lifecycle import STEPS, SUBMISSION, reminders
from recallcases.claims.models import Claim, ClaimEvent
from recallcases.notifications.emails import compose, new_message_id
from recallcases.notifications.models import EmailKind as K
from recallcases.notifications.models import EmailState, OutboundEmail

logger = logging.getLogger(__name__)

# The Celery task that sends one outbox row (notifications/tasks.py).
SEND_TASK = "recallcases.notifications.tasks.send_outbound_email"

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
    email = OutboundEmail.objects.create(
        claim=claim,
        event=event,
        kind=kind,
        dedupe_key=f"event:{event.pk}",
        message_id=new_message_id(),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: outbox_enqueue(email_id=email.pk))
    return email


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
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                claim=claim,
                kind=kind,
                dedupe_key=f"reminder:{kind}:{claim.pk}:{claim.updated_at:%Y%m%d%H%M%S}:{period}",
                message_id=new_message_id(),
                next_attempt_at=now,
            )
    except IntegrityError:  # already written for this period
        return 0
    transaction.on_commit(lambda: outbox_enqueue(email_id=email.pk))
    return 1


# Sending one outbox row: once, and only once as far as this side can tell.
logger = logging.getLogger(__name__)


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
            .first()
        )
        if email is None:
            return Outcome.SKIPPED, 0
        email.attempts += 1
        try:
            compose(email).send()
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
