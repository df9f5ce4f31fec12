from django.core.management.base import BaseCommand, CommandError

from recallcases.notices.services import PurchaserRowError, purchasers_import_csv
from recallcases.recalls.models import Recall


class Command(BaseCommand):
    help = (
        "Add known purchasers to a recall's list (for direct notice) from a CSV file with the "
        "columns name,email,order_number,model,serial,country,language. Rows already on the "
        "list are reported and skipped: importing a list twice adds nobody."
    )

    def add_arguments(self, parser):
        parser.add_argument("recall", help="The recall's slug.")
        parser.add_argument("csv_file", help="Path of the CSV file (UTF-8).")

    def handle(self, *args, recall, csv_file, **options):
        try:
            target = Recall.objects.get(slug=recall)
        except Recall.DoesNotExist:
            raise CommandError(f"No recall with the slug {recall!r}.") from None
        try:
            with open(csv_file, newline="", encoding="utf-8-sig") as file:
                report = purchasers_import_csv(recall=target, file=file, file_name=csv_file)
        except (OSError, UnicodeDecodeError, PurchaserRowError) as error:
            raise CommandError(f"Nothing imported: {error}") from None
        for line, reason in report.invalid:
            self.stderr.write(f"line {line}: invalid: {reason}")
        for line, text in report.duplicates:
            self.stderr.write(f"line {line}: already on the list: {text}")
        self.stdout.write(
            f"{report.rows} rows read: {report.added} purchasers added, "
            f"{len(report.duplicates)} duplicates, {len(report.invalid)} invalid."
        )
