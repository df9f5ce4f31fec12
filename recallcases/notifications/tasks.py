"""Celery tasks. Each takes ids only and may run twice: the outbox row decides what happens."""

from celery import shared_task
from django.conf import settings

from recallcases.notifications.services import (
    Outcome,
    deliver,
    deliver_batch,
    outbox_batch_enqueue,
    outbox_due,
    outbox_enqueue,
    reminders_write,
)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_outbound_email(email_id: int) -> str:
    """Send one outbox row, or schedule its next try."""
    outcome, delay = deliver(email_id=email_id)
    if outcome == Outcome.RETRY and not settings.CELERY_TASK_ALWAYS_EAGER:
        # Never a countdown beyond the broker's visibility timeout: the sweep covers the rest. Not
        # rounded down: a task arriving before the row's next try is due would skip it for good.
        outbox_enqueue(email_id=email_id, countdown=min(delay, settings.OUTBOX_MAX_COUNTDOWN) + 0.1)
    return outcome


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def outbox_send_batch(horizon: float = 0.0) -> int:
    """Send the rows due now (or within `horizon` seconds) over one connection; when the batch
    was full or ran out of time, hand the rest to the next batch."""
    result = deliver_batch(horizon=horizon)
    # Not when nothing went: a mail server away is left to the backoff and the sweep.
    if result.sent and (result.full or result.released) and not settings.CELERY_TASK_ALWAYS_EAGER:
        outbox_batch_enqueue()
    return result.sent


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Hand again to workers every pending email whose time has come (lost publish, dead worker)."""
    due = outbox_due()
    for email_id in due:
        outbox_enqueue(email_id=email_id)
    return len(due)


@shared_task(ignore_result=True)
def reminders_send() -> int:
    """Write the reminders that are due; each is sent like any other email."""
    return reminders_write()
