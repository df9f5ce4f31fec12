from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from recallcases.claims.demo import NotADemoDatabase, demo_claims_spread
from recallcases.claims.transitions import Actor
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.notifications.services import deliver
from recallcases.recalls.demo import demo_recall_load
from recallcases.workspace.management.commands.seed_demo import DEMO_STAFF


class Command(BaseCommand):
    help = (
        "Fill the demo recall with COUNT made-up claims spread over the months since its "
        "announcement and over every status, along the claims' real life (events, emails, "
        "shipments), so the dashboard and monthly reports show something. Needs seed_demo's "
        "staff; runs only with DEBUG on and never on a database with a real serial registry. "
        "Running it again adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=3000, help="claims wanted (3000)")

    def handle(self, *args, count, **options):
        if not settings.DEBUG:
            raise CommandError("demo_claims makes up claims: it runs with DEBUG on (make run).")
        if not 1 <= count <= 50_000:
            raise CommandError("--count is between 1 and 50,000.")
        users = get_user_model().objects.filter(username__in=[name for name, _ in DEMO_STAFF])
        staff = [Actor.staff(user) for user in users.order_by("pk")]
        if not staff:
            raise CommandError("No demo staff: run `manage.py seed_demo` (or `make run`) first.")
        recall = demo_recall_load()
        # The claims' emails are written as for real claims, kept from the workers, and then
        # delivered here to a backend that sends nothing: in the outbox, made-up consumers at
        # example.com were told, and no one received anything.
        try:
            with mock.patch("recallcases.notifications.services.outbox_enqueue", return_value=True):
                spread = demo_claims_spread(recall=recall, count=count, staff=staff)
        except NotADemoDatabase as refused:
            raise CommandError(str(refused)) from None
        emails = OutboundEmail.objects.filter(claim_id__in=spread.created, state=EmailState.PENDING)
        nowhere = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        with override_settings(MAILERS=nowhere):
            for email_id in emails.values_list("pk", flat=True).iterator():
                deliver(email_id=email_id)
        self.stdout.write(
            f"{len(spread.created)} demo claims filed, {spread.already} already there, in "
            f"{recall.slug}: see /workspace/ and /workspace/reports/{recall.slug}/."
        )
