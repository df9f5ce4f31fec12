"""The retention schedule of purchaser lists: names, emails and order numbers removed in time.

A known purchaser's name, email, order number and bounce reason (which may quote the address)
are removed `Recall.purchaser_retention_months` after the recall's announcement or the
purchaser's import, whichever is later. The row stays, with its country, language, product,
serial (a unit, not a person) and the dates of its notice, reminders, unsubscription and bounce:
the regulators' reports count purchasers on the list and purchasers notified from these rows.
An anonymised purchaser is never sent anything again (`_eligible` in services.py).
"""

from datetime import UTC, datetime, time

from django.db import transaction
from django.db.models import QuerySet

from recallcases.core.retention import RetentionCounts, months_before
from recallcases.notices.models import Purchaser
from recallcases.recalls.models import Recall

# The kind of what is removed, as `retention_apply` reports it.
PURCHASER_DETAILS = "purchasers' details"


def purchasers_due_for_anonymising(*, recall: Recall, now: datetime) -> QuerySet[Purchaser]:
    """The recall's purchasers whose details are due for removal at `now`."""
    cutoff = months_before(now, recall.purchaser_retention_months)
    announced = datetime.combine(recall.announced_on, time.min, tzinfo=UTC)
    if announced >= cutoff:
        return Purchaser.objects.none()
    return Purchaser.objects.filter(
        recall=recall, anonymised_at__isnull=True, created_at__lt=cutoff
    )


def purchaser_retention_apply(*, now: datetime, dry_run: bool = False) -> RetentionCounts:
    """Remove the details of the purchasers whose time is up; how many, per recall.

    With `dry_run`, how many would be, and nothing changes. Running it again changes nothing.
    """
    counts = RetentionCounts()
    for recall in Recall.objects.order_by("pk"):
        due = purchasers_due_for_anonymising(recall=recall, now=now)
        if dry_run:
            counts[PURCHASER_DETAILS, recall.pk] += due.count()
            continue
        with transaction.atomic():
            counts[PURCHASER_DETAILS, recall.pk] += due.update(
                name="",
                email="",
                order_number="",
                bounce_reason="",
                next_reminder_at=None,
                anonymised_at=now,
            )
    return counts
