"""Fulfilment pages: approved claims to ship, and recording shipments one by one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recallcases.claims.models import Claim, ClaimStatus
from recallcases.claims.staff import claim_ship
from recallcases.claims.transitions import Actor, TransitionRefused
from recallcases.workspace.access import staff_view
from recallcases.workspace.forms import ShipmentForm


def claims_to_ship():
    """Approved claims waiting for their remedy (and, where disposal comes first, confirmed)."""
    ready = Q(status=ClaimStatus.REPLACEMENT_APPROVED, recall__disposal_before_shipping=False) | Q(
        status=ClaimStatus.DISPOSAL_CONFIRMED, recall__disposal_before_shipping=True
    )
    return (
        Claim.objects.filter(ready)
        .select_related("recall", "product")
        .defer("access_token_hash")
        .order_by("updated_at", "pk")
    )


@staff_view("claims.view_claim", "claims.view_shipping_details")
def shipping_list(request):
    page = Paginator(claims_to_ship(), 100).get_page(request.GET.get("page"))
    return render(request, "workspace/fulfilment.html", {"page": page})


@require_POST
@staff_view("claims.record_shipment")
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
