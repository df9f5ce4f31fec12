import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from recallcases.recalls.services import recall_load


class Command(BaseCommand):
    help = "Create or update a recall and its products from a JSON file (see recalls/data/)."

    def add_arguments(self, parser):
        parser.add_argument("json_file")

    def handle(self, *args, json_file, **options):
        try:
            with open(json_file, encoding="utf-8") as file:
                data = json.load(file)
            recall = recall_load(data=data)
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
            raise CommandError(f"Nothing loaded: {error}") from None
        self.stdout.write(f"Recall {recall.slug}: {recall.products.count()} products.")
