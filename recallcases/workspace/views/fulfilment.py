"""Fulfilment pages: approved claims to ship, recording shipments one by one or by CSV file."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from recallcases.claims.lifecycle import Waits, waiting_for
from recallcases.claims.models import Claim
from recallcases.claims.selectors import shipping_csv
from recallcases.claims.services import claim_ship
from recallcases.claims.services.tracking import IMPORT_MAX_BYTES, tracking_import
from recallcases.claims.transitions import Actor, TransitionRefused
from recallcases.recalls.models import ISSUED_BY, Issue
from recallcases.workspace.forms import GOOD_ROWS, ShipmentForm, TrackingImportForm
from recallcases.workspace.permissions import staff_view

SHIPPED_REMEDIES = [str(r) for r, issue in ISSUED_BY.items() if issue == Issue.SHIPMENT]

# gettext_lazy by its name: makemessages does not find the strings of an alias (_lazy).
IMPORT_HELP = gettext_lazy(
    "Columns: reference, carrier, tracking_number and optionally remedy (replacement "
    "when empty), with a header line; at most 5,000 rows."
)


def claims_to_ship():
    """Approved claims waiting for their remedy to ship (and, where disposal comes first,
    confirmed): not the refunds nor the gift cards, which have pages of their own."""
    return (
        Claim.objects.filter(waiting_for(Waits.FULFILMENT), remedy__in=SHIPPED_REMEDIES)
        .select_related("recall", "product")
        .defer("access_token_hash")
        .order_by("updated_at", "pk")
    )


@staff_view("claims.view_claim", "claims.view_shipping_details")
def shipping_list(request):
    page = Paginator(claims_to_ship(), 100).get_page(request.GET.get("page"))
    return render(request, "workspace/fulfilment.html", {"page": page})


@staff_view("claims.record_shipment")
@require_POST
def claim_ship_view(request, reference):
    claim = Claim.objects.select_related("recall").filter(reference=reference).first()
    if claim is None:
        raise Http404
    form = ShipmentForm(request.POST, recall=claim.recall)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("workspace:claim", reference=claim.reference)
    data = form.cleaned_data
    try:
        claim_ship(
            claim_id=claim.pk,
            actor=Actor.staff(request.user),
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            remedy=data["remedy"],
            expected_version=data["version"],
        )
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(reference)s is shipped.") % {"reference": claim.reference})
    return redirect("workspace:claim", reference=claim.reference)


@staff_view("claims.view_claim", "claims.view_shipping_details")
@require_safe
def shipping_export(request):
    """The claims to ship as a CSV file for the shipping partner, streamed row by row."""
    response = StreamingHttpResponse(
        shipping_csv(claims=claims_to_ship()), content_type="text/csv; charset=utf-8"
    )
    filename = f"claims-to-ship-{timezone.localdate():%Y-%m-%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A list of names and addresses: no shared cache keeps it.
    response.headers["Cache-Control"] = "no-store, private"
    return response


@staff_view("claims.record_shipment")
@require_http_methods(["GET", "POST"])
def tracking_import_view(request):
    """Upload the partner's carriers and tracking numbers; shows what each row did."""
    report = None
    if request.method == "POST":
        form = TrackingImportForm(
            request.POST, request.FILES, max_bytes=IMPORT_MAX_BYTES, help_text=IMPORT_HELP
        )
        report = form.imported(
            tracking_import,
            actor=Actor.staff(request.user),
            apply_good_rows=form.data.get("bad_rows") == GOOD_ROWS,
        )
    else:
        form = TrackingImportForm(max_bytes=IMPORT_MAX_BYTES, help_text=IMPORT_HELP)
    return render(
        request,
        "workspace/claims_import.html",
        {
            "form": form,
            "report": report,
            "heading": _("Import tracking numbers"),
            "back_url": reverse("workspace:fulfilment"),
            "back_label": _("Fulfilment"),
        },
    )
