"""Celery tasks of claims. Each takes ids only (or nothing) and may run twice: issuing a claim its
remedy code, and merging the claim tallies' rows (beat)."""

from celery import shared_task

from recallcases.claims.services.codes import remedy_code_issue
from recallcases.claims.services.milestones import claim_tallies_compact


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def remedy_code_issue_task(claim_id: int) -> bool:
    """Issue a claim its gift card or voucher code; a second run finds it issued."""
    return remedy_code_issue(claim_id=claim_id) is not None


@shared_task(ignore_result=True)
def claim_tallies_compact_task() -> None:
    """Merge the claim tallies' rows (a row per change) into one per group; idempotent."""
    claim_tallies_compact()
