from django.core.management.base import BaseCommand, CommandError

from recallcases.core.csv_files import CsvRefused
from recallcases.notices.services.purchasers import (
    purchasers_import_csv,
)
from recallcases.recalls.models import Recall


class Command(BaseCommand):
    help = (
        "Add known purchasers to a recall's list (for direct notice) from a CSV file with the "
        "columns name,email,order_number,model,serial,country,language. Rows already on the "
        "list are reported and skipped: importing a list twice adds nobody."
    )

    def add_arguments(self, parser):
        parser.add_argument("recall", help="The recall's slug.")
        parser.add_argument("csv_file", help="Path of the CSV file (UTF-8, UTF-16 or Latin-1).")

    def handle(self, *args, recall, csv_file, **options):
        try:
            target = Recall.objects.get(slug=recall)
        except Recall.DoesNotExist:
            raise CommandError(f"No recall with the slug {recall!r}.") from None
        try:
            with open(csv_file, "rb") as file:
                report = purchasers_import_csv(recall=target, file=file, file_name=csv_file)
        except (OSError, CsvRefused) as error:
            raise CommandError(f"Nothing imported: {error}") from None
        for line, reason in report.invalid:
            self.stderr.write(f"line {line}: invalid: {reason}")
        if report.invalid.more:
            self.stderr.write(f"... {report.invalid.more} more invalid rows not listed.")
        for line, text in report.duplicates:
            self.stderr.write(f"line {line}: already on the list: {text}")
        if report.duplicates.more:
            self.stderr.write(f"... {report.duplicates.more} more duplicates not listed.")
        self.stdout.write(
            f"{report.rows} rows read: {report.added} purchasers added, "
            f"{report.duplicates.total} duplicates, {report.invalid.total} invalid."
        )
