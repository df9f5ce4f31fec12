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
    """Whether a canonical single serial is in the registry: one `.exists()` on the lookup index."""
    split = split_serial(request.POST["serial"])
    found = RegistryEntry.objects.filter(
        recall_id=int(request.POST["recall"]),
        prefix=split.prefix,
        digits=split.digits,
        first_number=split.number,
    ).exists()
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
