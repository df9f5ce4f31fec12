from django.core.management.base import BaseCommand

from recallcases.notifications.services import texts_reply


class Command(BaseCommand):
    help = (
        "Take a consumer's reply to a status text as the provider's webhook would (development): "
        "texts_reply +15145550199 STOP stops every text to that number; START lets them go again."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="The sender, E.164: +15145550199")
        parser.add_argument("text", help="What they replied: STOP, START, ...")

    def handle(self, *args, number, text, **options):
        self.stdout.write(f"Reply {texts_reply(number=number, body=text)}.")
