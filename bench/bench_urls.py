"""The site's pages, and beside them the yardstick views the benchmarks time the pages against.

Each yardstick runs one query of its own through the same middleware as the pages (sessions,
CSRF, sign-in, language, security headers), so what a page costs beyond it is the page's own work.
"""

from django.http import HttpResponse
from django.urls import path

from recallcases import urls
from recallcases.claims.models import Claim
from recallcases.recalls.models import RegistryEntry
from recallcases.recalls.serials import split_serial


def serial_exists(request):
    """Whether a canonical serial is in the registry: one query on one end of the lookup index.

    The entry with the greatest first number not above the serial's holds it if it reaches it
    (an import stores a run of consecutive serials as one entry, so a single serial is seldom
    an entry's first).
    """
    split = split_serial(request.POST["serial"])
    last = (
        RegistryEntry.objects.filter(
            recall_id=int(request.POST["recall"]),
            prefix=split.prefix,
            digits=split.digits,
            first_number__lte=split.number,
        )
        .order_by("-first_number")
        .values_list("last_number", flat=True)
        .first()
    )
    found = last is not None and last >= split.number
    return HttpResponse("yes" if found else "no", content_type="text/plain")


def claims_first_page(request):
    """The queue's first 50 claims as plain text: one query, no signals, counts or template."""
    rows = Claim.objects.order_by("created_at", "pk").values_list("reference", "status")[:50]
    return HttpResponse("\n".join(f"{r} {s}" for r, s in rows), content_type="text/plain")


urlpatterns = [
    path("bench/serial-exists/", serial_exists),
    path("bench/claims/", claims_first_page),
    *urls.urlpatterns,
]
