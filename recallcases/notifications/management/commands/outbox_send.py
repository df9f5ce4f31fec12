from collections import Counter

from django.core.management.base import BaseCommand

from recallcases.notifications.services import deliver, deliver_batch, outbox_due, reminders_write


class Command(BaseCommand):
    help = (
        "Write the reminders that are due and send every pending email and text whose time has "
        "come, in this process. What Celery beat and a worker do with Redis; without Redis, run "
        "it from cron (emails of each step are otherwise sent at once, in the request)."
    )

    def handle(self, *args, **options):
        reminders = reminders_write()
        outcomes: Counter[str] = Counter()
        # Emails in batches over one connection each, until one finds nothing due or cannot send.
        while True:
            batch = deliver_batch()
            outcomes.update(sent=batch.sent, retry=batch.retry, failed=batch.failed)
            if not batch.sent or not (batch.full or batch.released):
                break
        # Then one by one what is left: texts, and emails a batch handed back.
        outcomes.update(str(deliver(email_id=email_id)[0]) for email_id in outbox_due())
        counts = ", ".join(
            f"{outcome} {count}" for outcome, count in sorted(outcomes.items()) if count
        )
        self.stdout.write(f"{reminders} reminders written; emails: {counts or 'none due'}.")
