from celery import shared_task

from recallcases.claims.services.milestones import claim_tallies_compact


@shared_task(ignore_result=True)
def claim_tallies_compact_task() -> None:
    """Merge the claim tallies' rows (a row per change) into one per group; idempotent."""
    claim_tallies_compact()
