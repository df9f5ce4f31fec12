from django.core.management.base import BaseCommand, CommandError

from recallcases.notices.services.sending import (
    notices_publish,
    notices_send,
)
from recallcases.notifications.models import EmailKind
from recallcases.recalls.models import Recall


class Command(BaseCommand):
    help = (
        "Write the recall notice for every purchaser of a recall not notified yet (or, with "
        "--reminders, the reminders that are due), spaced at NOTICE_RATE_PER_MINUTE. Workers "
        "send them as they fall due; without Redis, `outbox_send` (cron) does."
    )

    def add_arguments(self, parser):
        parser.add_argument("recall", help="The recall's slug.")
        parser.add_argument(
            "--reminders", action="store_true", help="Write the reminders that are due instead."
        )
        parser.add_argument("--limit", type=int, default=None, help="Write at most this many.")

    def handle(self, *args, recall, reminders, limit, **options):
        try:
            target = Recall.objects.get(slug=recall)
        except Recall.DoesNotExist:
            raise CommandError(f"No recall with the slug {recall!r}.") from None
        kind = EmailKind.NOTICE_REMINDER if reminders else EmailKind.RECALL_NOTICE
        batch = notices_send(recall=target, kind=kind, limit=limit)
        notices_publish()
        if not batch.written:
            self.stdout.write("Nothing to send: nobody is due.")
            return
        self.stdout.write(
            f"{batch.written} {'reminders' if reminders else 'notices'} written, due from "
            f"{batch.first_at:%Y-%m-%d %H:%M:%S} to {batch.last_at:%Y-%m-%d %H:%M:%S} UTC."
        )
