from django.core.management.base import BaseCommand

from recallcases.notifications.services import deliver, outbox_due, reminders_write


class Command(BaseCommand):
    help = (
        "Write the reminders that are due and send every pending email whose time has come, in "
        "this process. What Celery beat and a worker do with Redis; without Redis, run it from "
        "cron (emails of each step are otherwise sent at once, in the request)."
    )

    def handle(self, *args, **options):
        reminders = reminders_write()
        outcomes = [deliver(email_id=email_id)[0] for email_id in outbox_due()]
        counts = ", ".join(
            f"{outcome} {outcomes.count(outcome)}" for outcome in sorted(set(outcomes))
        )
        self.stdout.write(f"{reminders} reminders written; emails: {counts or 'none due'}.")
