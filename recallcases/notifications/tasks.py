"""Celery tasks. Each takes ids only and may run twice: the outbox row decides what happens."""

from celery import shared_task
from django.conf import settings

from recallcases.notifications.services import (
    Outcome,
    deliver,
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
