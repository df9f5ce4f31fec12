"""Direct notice: writing known purchasers' notices and reminders into the outbox at the
configured rate, and handing them to workers when their time comes."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.notices.models import NoticeEmail, Purchaser
from recallcases.notices.selectors import NOTICE_KINDS, notices_due_soon, purchaser_claimed
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import (
    EmailDraft,
    outbox_batch_enqueue,
    outbox_write_many,
)
from recallcases.recalls.models import Recall

logger = logging.getLogger(__name__)

# Notices written per transaction when sending: a large list is written a chunk at a time.
SEND_CHUNK = 500
# Reminders after the notice, one per NOTICE_REMINDER_DAYS, then no more: a purchaser who has not
# claimed after three reminders is better reached another way (phone, mail) than by a fourth.
MAX_REMINDERS = 3
# How far ahead the beat task publishes scheduled notices (it runs every minute), and how far back
# it looks for rows the previous run may have missed; a row published twice is sent once.
PUBLISH_AHEAD = timedelta(seconds=60)
PUBLISH_BEHIND = timedelta(seconds=10)


# --- Sending --------------------------------------------------------------------------------------


@dataclass
class NoticeBatch:
    written: int = 0
    # When the first and the last of them are due to go, at the configured rate.
    first_at: datetime | None = None
    last_at: datetime | None = None


def notice_interval() -> timedelta:
    """The time between two notices: the configured rate, whatever else the outbox sends."""
    return timedelta(seconds=60 / max(settings.NOTICE_RATE_PER_MINUTE, 1))


def _schedule_start(now: datetime) -> datetime:
    # After the last notice still waiting, so that a second batch does not double the rate.
    last = OutboundEmail.objects.filter(kind__in=NOTICE_KINDS, state=EmailState.PENDING).aggregate(
        last=Max("next_attempt_at")
    )["last"]
    return max(now, last + notice_interval()) if last else now


def _eligible(*, recall: Recall, kind: str, now: datetime):
    reachable = Purchaser.objects.filter(
        recall=recall,
        unsubscribed_at__isnull=True,
        bounced_at__isnull=True,
        # The retention schedule removed the address: nothing can or may be sent.
        anonymised_at__isnull=True,
    )
    if kind == EmailKind.RECALL_NOTICE:
        return reachable.filter(notice_email__isnull=True)
    if kind == EmailKind.NOTICE_REMINDER:
        # A reminder follows a notice that went out, to someone who has not claimed since.
        return reachable.filter(
            notice_email__state=EmailState.SENT,
            next_reminder_at__lte=now,
            reminders_sent__lt=MAX_REMINDERS,
        ).exclude(purchaser_claimed())
    raise ValueError(f"{kind!r} is not a notice")


def _next_reminder(after: datetime, reminders_sent: int) -> datetime | None:
    days = settings.NOTICE_REMINDER_DAYS
    if not days or reminders_sent >= MAX_REMINDERS:
        return None
    return after + timedelta(days=days)


def notices_send(
    *,
    recall: Recall,
    kind: str,
    limit: int | None = None,
    now: datetime | None = None,
    actor=None,
) -> NoticeBatch:
    """Write the recall notice (or the reminder that is due) for each purchaser who should get one.

    Notices go to purchasers not notified yet; reminders to those notified, not claimed and due
    (one per NOTICE_REMINDER_DAYS, at most MAX_REMINDERS). Nobody unsubscribed or bounced gets
    either. At most `limit` are written, SEND_CHUNK per transaction; each row is unique per
    purchaser (and reminder), so a run repeated or run twice at once writes nothing twice.

    The rate is kept by the rows themselves: each is due 60 / NOTICE_RATE_PER_MINUTE seconds after
    the one before (after any notice still waiting), and `deliver` sends no row before it is due.
    Why not only Celery countdowns: a countdown lives in the broker, so a lost publish or a
    restart would hand the rows to the outbox sweep all at once, and a countdown may not exceed
    OUTBOX_MAX_COUNTDOWN (30 min, about 18,000 notices at 600 a minute). With the time in the row,
    the beat task `notices_tick` publishes each minute batches for the rows due in the coming
    minute, each sending its rows at their time over one connection, and the sweep picks up
    anything whose publish was lost, when it is due.
    """
    now = now or timezone.now()
    batch = NoticeBatch()
    interval = notice_interval()
    while limit is None or batch.written < limit:
        size = SEND_CHUNK if limit is None else min(SEND_CHUNK, limit - batch.written)
        with transaction.atomic():
            purchasers = list(
                _eligible(recall=recall, kind=kind, now=now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:size]
            )
            if not purchasers:
                break
            start = _schedule_start(now)
            emails = outbox_write_many(
                drafts=[
                    EmailDraft(
                        kind=kind,
                        dedupe_key=_dedupe_key(purchaser, kind),
                        recipient=purchaser.email,
                        due_at=start + i * interval,
                    )
                    for i, purchaser in enumerate(purchasers)
                ],
                # At the rate: only what is due in the coming minute, each with its countdown.
                publish=lambda ids: notices_publish(email_ids=ids),
            )
            NoticeEmail.objects.bulk_create(
                NoticeEmail(email=email, purchaser=purchaser)
                for purchaser, email in zip(purchasers, emails, strict=True)
            )
            for purchaser, email in zip(purchasers, emails, strict=True):
                _record_written(purchaser, email, now=now)
            Purchaser.objects.bulk_update(
                purchasers,
                ["notice_email", "notified_at", "last_email", "reminders_sent", "next_reminder_at"],
            )
        batch.written += len(emails)
        batch.first_at = batch.first_at or emails[0].next_attempt_at
        batch.last_at = emails[-1].next_attempt_at
    if batch.written:
        logger.info("notices: %s %s written for recall %s", batch.written, kind, recall.slug)
        # One row for the batch (its chunks commit one by one); a run that wrote none is no action.
        audit_record(
            actor=actor,
            action=AuditAction.NOTICES_SEND,
            subject=recall,
            subject_label=recall.slug,
            recall_id=recall.pk,
            after={"kind": kind, "written": batch.written},
        )
    return batch


def _dedupe_key(purchaser: Purchaser, kind: str) -> str:
    if kind == EmailKind.RECALL_NOTICE:
        return f"notice:{purchaser.pk}"
    return f"notice-reminder:{purchaser.pk}:{purchaser.reminders_sent + 1}"


def _record_written(purchaser: Purchaser, email: OutboundEmail, *, now: datetime) -> None:
    purchaser.last_email = email
    if email.kind == EmailKind.RECALL_NOTICE:
        purchaser.notice_email, purchaser.notified_at = email, now
    else:
        purchaser.reminders_sent += 1
    # Counted from when the email is due to go, not from when it was written.
    purchaser.next_reminder_at = _next_reminder(email.next_attempt_at, purchaser.reminders_sent)


def notices_publish(*, now: datetime | None = None, email_ids=None) -> list[tuple[int, float]]:
    """Hand to workers the notices due in the coming minute, in batches sent over one connection.

    The minute is cut in windows of OUTBOX_BATCH_SECONDS; for each, enough batch tasks
    (OUTBOX_BATCH_SIZE rows each) start at the window's start and send each row at its time.
    Returns (email id, countdown in seconds) for each row handed over. With tasks run in-process
    (no broker) a countdown would be ignored, so only rows due now are handed over; `outbox_send`
    (cron) sends the others when they are due.
    """
    now = now or timezone.now()
    due = notices_due_soon(
        now=now, since=now - PUBLISH_BEHIND, until=now + PUBLISH_AHEAD, email_ids=email_ids
    )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        due = [(email_id, countdown) for email_id, countdown in due if countdown <= 0]
    window = max(settings.OUTBOX_BATCH_SECONDS, 1.0)
    windows: dict[float, list[tuple[int, float]]] = {}
    for email_id, countdown in due:
        windows.setdefault(countdown // window * window, []).append((email_id, countdown))
    published = []
    for start, rows in sorted(windows.items()):
        batches = -(-len(rows) // settings.OUTBOX_BATCH_SIZE)
        horizon = 0.0 if settings.CELERY_TASK_ALWAYS_EAGER else window
        handed = [
            outbox_batch_enqueue(countdown=start or None, horizon=horizon) for _ in range(batches)
        ]
        if all(handed):
            published.extend(rows)
    return published


def notices_tick(*, now: datetime | None = None) -> tuple[int, int]:
    """What beat runs each minute: write the reminders due, publish the notices due soon.

    Reminders are written for open recalls only, at most a minute's worth per recall per run, so
    a backlog is worked off at the rate instead of in one long transaction.
    """
    now = now or timezone.now()
    written = 0
    recalls = Recall.objects.open_to_claims().filter(
        pk__in=Purchaser.objects.filter(next_reminder_at__lte=now).values("recall_id")
    )
    for recall in recalls:
        written += notices_send(
            recall=recall,
            kind=EmailKind.NOTICE_REMINDER,
            limit=settings.NOTICE_RATE_PER_MINUTE,
            now=now,
        ).written
    return written, len(notices_publish(now=now))
