from django.core.management.base import BaseCommand

from recallcases.notifications.services import BatchResult, deliver_batch, reminders_write


class Command(BaseCommand):
    help = (
        "Write the reminders that are due and send every pending email whose time has come, in "
        "this process. What Celery beat and a worker do with Redis; without Redis, run it from "
        "cron (emails of each step are otherwise sent at once, in the request)."
    )

    def handle(self, *args, **options):
        reminders = reminders_write()
        # Batches over one connection each, until one finds nothing due or cannot send.
        total = BatchResult()
        while True:
            batch = deliver_batch()
            for outcome in ("sent", "retry", "failed"):
                setattr(total, outcome, getattr(total, outcome) + getattr(batch, outcome))
            if not batch.sent or not (batch.full or batch.released):
                break
        counts = ", ".join(
            f"{outcome} {getattr(total, outcome)}"
            for outcome in ("failed", "retry", "sent")
            if getattr(total, outcome)
        )
        self.stdout.write(f"{reminders} reminders written; emails: {counts or 'none due'}.")
