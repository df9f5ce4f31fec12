"""Sending one outbox row: once, and only once as far as this side can tell."""

import logging
import random
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recallcases.notifications.messages import compose
from recallcases.notifications.models import EmailState, OutboundEmail

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
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
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
