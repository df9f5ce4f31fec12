from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recallcases.retention.services import retention_apply


class Command(BaseCommand):
    help = (
        "Anonymise or delete what the retention schedule says is due (docs/retention.md), and "
        "say how much per kind and per recall. --dry-run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report what would be removed."
        )
        parser.add_argument(
            "--now",
            metavar="YYYY-MM-DD",
            help="Count as if it were this day (midnight UTC): what that day will remove.",
        )

    def handle(self, *args, dry_run: bool, now: str | None, **options):
        moment = timezone.now()
        if now:
            try:
                moment = datetime.combine(datetime.strptime(now, "%Y-%m-%d").date(), time.min, UTC)
            except ValueError:
                raise CommandError("--now must be a date, YYYY-MM-DD") from None
        report = retention_apply(now=moment, dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(f"Retention schedule at {moment:%Y-%m-%d %H:%M} UTC: {verb}")
        for kind, total in report.totals.items():
            self.stdout.write(f"  {kind}: {total}")
            for line in report.lines:
                if line.kind == kind:
                    self.stdout.write(f"    {line.recall or '(no recall)'}: {line.count}")
