from django.core.management.base import BaseCommand

from recallcases.claims.services.milestones import claim_milestones_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dates the reports count by (first shipped, first shipment, disposal "
        "confirmed) from every claim's events and shipments; say how many claims differed."
    )

    def handle(self, *args, **options):
        corrected = claim_milestones_rebuild()
        self.stdout.write(f"{corrected} claims corrected.")
