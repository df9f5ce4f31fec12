from django.core.management.base import BaseCommand

from recallcases.claims.selectors import tallies_kept
from recallcases.claims.services.milestones import claim_milestones_rebuild, claim_tallies_rebuild


class Command(BaseCommand):
    help = (
        "Recompute what the database keeps for the reports and the queue from the claims, their "
        "events and shipments: each claim's dates (first shipped, first shipment, disposal "
        "confirmed) and, on PostgreSQL, the claim tallies. Says how much differed (0 when the "
        "triggers kept them true). Safe while the site runs."
    )

    def handle(self, *args, **options):
        claims = claim_milestones_rebuild()
        self.stdout.write(f"{claims} claims' report dates corrected.")
        if tallies_kept():
            groups = claim_tallies_rebuild()
            self.stdout.write(f"{groups} tally groups corrected.")
