from django.core.management.base import BaseCommand, CommandError

from recallcases.core.csv_files import CsvRefused
from recallcases.recalls.models import Recall
from recallcases.recalls.services import registry_import_csv


class Command(BaseCommand):
    help = (
        "Add serials and ranges to a recall's serial registry from a CSV file with the columns "
        "model,first_serial,last_serial (last_serial empty for a single serial). The file is "
        "read row by row; all its good rows are added, or nothing if the file cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("recall", help="The recall's slug.")
        parser.add_argument("csv_file", help="Path of the CSV file (UTF-8, UTF-16 or Latin-1).")
        parser.add_argument("--demo", action="store_true", help="Mark the entries as demo data.")

    def handle(self, *args, recall, csv_file, demo, **options):
        try:
            target = Recall.objects.get(slug=recall)
        except Recall.DoesNotExist:
            raise CommandError(f"No recall with the slug {recall!r}.") from None
        try:
            with open(csv_file, "rb") as file:
                report = registry_import_csv(
                    recall=target, file=file, is_demo=demo, file_name=csv_file
                )
        except (OSError, CsvRefused) as error:
            raise CommandError(f"Nothing imported: {error}") from None
        for line, reason in report.invalid:
            self.stderr.write(f"line {line}: invalid: {reason}")
        if report.invalid_count > len(report.invalid):
            self.stderr.write(
                f"... {report.invalid_count - len(report.invalid)} more invalid rows not listed."
            )
        for line, text in report.duplicates:
            self.stderr.write(f"line {line}: already in the registry: {text}")
        if report.duplicate_count > len(report.duplicates):
            self.stderr.write(
                f"... {report.duplicate_count - len(report.duplicates)} more duplicates not listed."
            )
        self.stdout.write(
            f"{report.rows} rows read: {report.rows_added} rows added "
            f"({report.units_added} serials; registry entries stored: {report.entries_added}), "
            f"{report.duplicate_count} duplicates, "
            f"{report.invalid_count} invalid."
        )
