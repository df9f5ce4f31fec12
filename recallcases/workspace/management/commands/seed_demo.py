import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from recallcases.claims.demo import demo_claim_ship, demo_claims_load
from recallcases.claims.demo_power_banks import demo_power_bank_claim_load
from recallcases.recalls.demo import (
    DEMO_RANGES,
    POWER_BANK_DEMO_RANGES,
    demo_power_banks_load,
    demo_recall_load,
)
from recallcases.workspace.models import StaffPolicy
from recallcases.workspace.roles import (
    ADMINISTRATOR,
    CALL_CENTRE_AGENT,
    FULFILMENT,
    RECALL_MANAGER,
    REVIEWER,
)

# Demo logins, one per staff role, printed for the newcomer. seed_demo is for local demos (make
# run), never for production.
DEMO_PASSWORD = "recall-demo-2024"  # noqa: S105
DEMO_STAFF = [
    ("reviewer", REVIEWER),
    ("fulfilment", FULFILMENT),
    ("manager", RECALL_MANAGER),
    ("admin", ADMINISTRATOR),
    ("agent", CALL_CENTRE_AGENT),
]


class Command(BaseCommand):
    help = (
        "Load the speaker recall and the power bank recall, their demo serial registries, demo "
        "staff logins (one per role) and a few demo claims. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=os.environ.get("SITE_URL", "http://127.0.0.1:8000")
        )
        parser.add_argument(
            "--allow-demo-accounts",
            action="store_true",
            help="Create the demo staff logins, whose password is published, even with DEBUG off.",
        )

    def handle(self, *args, base_url, allow_demo_accounts=False, **options):
        if not settings.DEBUG and not allow_demo_accounts:
            raise CommandError(
                "seed_demo creates staff logins whose password is published (README): it runs "
                "with DEBUG on (make run). To create them anyway, say --allow-demo-accounts."
            )
        recall = demo_recall_load()
        power_banks = demo_power_banks_load()
        created_any = False
        for username, role in DEMO_STAFF:
            user, created = get_user_model().objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": f"{username}@example.com"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=role))
                created_any = True
        if created_any and settings.DEBUG:
            # A demo signs in with the printed password alone; the workspace shows that it may.
            StaffPolicy.objects.update_or_create(
                pk=StaffPolicy.SINGLETON_PK, defaults={"require_two_factor": False}
            )
        links = demo_claims_load(recall=recall)
        # One demo claim shipped (by the fulfilment login), as its status page shows it.
        shipper = get_user_model().objects.get(username="fulfilment")
        demo_claim_ship(recall=recall, shipper=shipper)
        # The power bank's demo claim, filed in Spanish and shipped too.
        power_bank_link = demo_power_bank_claim_load(recall=power_banks, shipper=shipper)
        base_url = base_url.rstrip("/")
        lines = [
            "",
            f"  Recall page:   {base_url}/en/{recall.slug}/",
            f"  En français:   {base_url}/fr-ca/{recall.slug}/",
            f"  Second recall: {base_url}/en/{power_banks.slug}/   (US only; en español: "
            f"{base_url}/es-us/{power_banks.slug}/)",
            f"  Staff:         {base_url}/workspace/   (the admin: {base_url}/admin/)",
            "                 users "
            + ", ".join(f"{name} ({role})" for name, role in DEMO_STAFF)
            + f"; password {DEMO_PASSWORD}"
            + ("" if created_any else " unless you changed it"),
            "                 "
            + (
                "two-factor sign-in is required: set up an authenticator app when asked"
                if StaffPolicy.current().require_two_factor
                else "two-factor sign-in is off (the admin's staff sign-in policy turns it on)"
            ),
            "  Emails print where the server runs; status texts are written to "
            + (
                settings.SMS_FILE_PATH
                if settings.SMS_BACKEND.endswith("filebased.SmsBackend")
                else f"the backend {settings.SMS_BACKEND or '(none: texts off)'}"
            ),
            "  Demo claims, in the queue; each one's private status link (new on every run):",
            *(f"    {reference}  {base_url}/en/status/{token}/" for reference, token in links),
            *(
                f"    {reference}  {base_url}/es-us/status/{token}/   (power bank, shipped, "
                "in Spanish)"
                for reference, token in [power_bank_link]
                if power_bank_link
            ),
            "  Demo serials (made up for this demo, in the real shape):",
        ]
        ranges = [(recall, d) for d in DEMO_RANGES]
        ranges += [(power_banks, d) for d in POWER_BANK_DEMO_RANGES]
        for demo_recall, demo in ranges:
            product = demo_recall.products.get(model=demo.model)
            lines.append(f"    {product.name_en} ({demo.model})")
            lines.append(f"      recalled:     {demo.first_serial} to {demo.last_serial}")
            lines.append(f"      not recalled: {', '.join(demo.not_recalled)}")
        lines.append("")
        self.stdout.write("\n".join(lines))
