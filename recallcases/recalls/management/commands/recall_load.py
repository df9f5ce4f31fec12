import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recallcases.recalls.recall_file import RecallFileInvalid
from recallcases.recalls.services import recall_load


class Command(BaseCommand):
    help = (
        "Create or update a recall and its products from a recall file (docs/recall-file.md). "
        "A file with errors loads nothing: every error is printed, one a line, with its field."
    )

    def add_arguments(self, parser):
        parser.add_argument("json_file")

    def handle(self, *args, json_file, **options):
        try:
            with open(json_file, encoding="utf-8") as file:
                data = json.load(file)
        except (OSError, ValueError) as error:
            raise CommandError(f"Nothing loaded: {error}") from None
        try:
            recall = recall_load(data=data, base_dir=Path(json_file).resolve().parent)
        except RecallFileInvalid as invalid:
            lines = invalid.lines()
            for line in lines:
                self.stderr.write(line)
            errors = "1 error" if len(lines) == 1 else f"{len(lines)} errors"
            raise CommandError(f"Nothing loaded: {errors} in {json_file}.") from None
        self.stdout.write(f"Recall {recall.slug}: {recall.products.count()} products.")
