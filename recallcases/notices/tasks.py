"""Celery task of direct notice. Idempotent: the rows decide what is written and sent."""

from celery import shared_task

from recallcases.notices.services.sending import (
    notices_tick,
)


@shared_task(ignore_result=True)
def notices_send_due() -> int:
    """Each minute: write the reminders that are due, and publish the notices due soon."""
    written, published = notices_tick()
    return written + published
