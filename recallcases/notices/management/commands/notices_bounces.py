from django.core.management.base import BaseCommand, CommandError

from recallcases.core.csv_files import CsvRefused
from recallcases.notices.services.purchasers import (
    purchasers_bounced_csv,
)
from recallcases.recalls.models import Recall


class Command(BaseCommand):
    help = (
        "Record the hard bounces of an email provider's CSV export (a column email, address or "
        "recipient; optionally type and reason): nothing more is sent to those purchasers. Soft "
        "and transient bounces are listed and left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", help="Path of the CSV file (UTF-8, UTF-16 or Latin-1).")
        parser.add_argument("--recall", help="Only this recall's purchasers (its slug).")

    def handle(self, *args, csv_file, recall, **options):
        target = None
        if recall:
            target = Recall.objects.filter(slug=recall).first()
            if target is None:
                raise CommandError(f"No recall with the slug {recall!r}.")
        try:
            with open(csv_file, "rb") as file:
                report = purchasers_bounced_csv(file=file, recall=target, file_name=csv_file)
        except (OSError, CsvRefused) as error:
            raise CommandError(f"Nothing recorded: {error}") from None
        for line, reason in report.invalid:
            self.stderr.write(f"line {line}: invalid: {reason}")
        for line, address in report.soft:
            self.stderr.write(f"line {line}: soft bounce, left alone: {address}")
        for line, address in report.unknown:
            self.stderr.write(f"line {line}: not on the purchaser list: {address}")
        for lines, what in (
            (report.invalid, "invalid rows"),
            (report.soft, "soft bounces"),
            (report.unknown, "addresses not on the list"),
        ):
            if lines.more:
                self.stderr.write(f"... {lines.more} more {what} not listed.")
        self.stdout.write(
            f"{report.rows} rows read: {report.marked} purchasers marked bounced, "
            f"{report.soft.total} soft, {report.unknown.total} not on the list, "
            f"{report.invalid.total} invalid."
        )
