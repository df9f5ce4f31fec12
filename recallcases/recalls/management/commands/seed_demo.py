import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from recallcases.recalls.demo import DEMO_RANGES, demo_recall_load

DEMO_STAFF_USERNAME = "admin"
# A demo login, printed for the newcomer; seed_demo is for local demos, never for production.
DEMO_STAFF_PASSWORD = "recall-demo-2024"  # noqa: S105


class Command(BaseCommand):
    help = "Load the speaker recall, its demo serial registry and a demo staff login (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=os.environ.get("SITE_URL", "http://127.0.0.1:8000")
        )

    def handle(self, *args, base_url, **options):
        recall = demo_recall_load()
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_STAFF_USERNAME,
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"},
        )
        if created:
            user.set_password(DEMO_STAFF_PASSWORD)
            user.save()
        base_url = base_url.rstrip("/")
        lines = [
            "",
            f"  Recall page:   {base_url}/en/{recall.slug}/",
            f"  En français:   {base_url}/fr-ca/{recall.slug}/",
            f"  Staff login:   {base_url}/admin/   user {DEMO_STAFF_USERNAME}, password "
            f"{DEMO_STAFF_PASSWORD}" + ("" if created else " (unless you changed it)"),
            "  Demo serials (made up for this demo, in the real shape):",
        ]
        for demo in DEMO_RANGES:
            product = recall.products.get(model=demo.model)
            lines.append(f"    {product.name_en} ({demo.model})")
            lines.append(f"      recalled:     {demo.first_serial} to {demo.last_serial}")
            lines.append(f"      not recalled: {', '.join(demo.not_recalled)}")
        lines.append("")
        self.stdout.write("\n".join(lines))
