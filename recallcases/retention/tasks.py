"""The retention schedule's daily Celery task. Idempotent: what was removed is not due again."""

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from recallcases.retention.services import retention_apply


@shared_task(ignore_result=True)
def retention_run() -> dict[str, int]:
    """Each day: remove what the retention schedule says is due, and expired sessions."""
    report = retention_apply(now=timezone.now())
    # Expired sessions hold a consumer's confirmation page data and staff sign-ins: gone daily.
    call_command("clearsessions")
    return report.totals
