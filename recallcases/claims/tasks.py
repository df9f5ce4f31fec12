"""Celery tasks of claims. Each takes ids only and may run twice."""

from celery import shared_task

from recallcases.claims.services.codes import remedy_code_issue


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def remedy_code_issue_task(claim_id: int) -> bool:
    """Issue a claim its gift card or voucher code; a second run finds it issued."""
    return remedy_code_issue(claim_id=claim_id) is not None
