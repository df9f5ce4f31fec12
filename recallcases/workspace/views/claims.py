"""Staff pages: the queue, a claim, and the actions on it.

Every view is guarded by `staff_view` with the permission it needs; each action also goes through
`claim_transition`, which checks the actor's right again, so a forged POST changes nothing.
"""

from dataclasses import dataclass, replace
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from recallcases.claims.lifecycle import STATUSES, step_between
from recallcases.claims.models import Claim, ClaimEvent, ClaimStatus, RemedyCode
from recallcases.claims.selectors import (
    claim_for_staff,
    claim_queue,
    next_claim_to_review,
    signals_of,
    staff_timeline,
    status_counts,
)
from recallcases.claims.services import (
    ClaimRefused,
    claim_remedy_change,
    claims_approve,
    staff_may_change_remedy,
    tracking_url,
)
from recallcases.claims.services.codes import claims_waiting_for_code
from recallcases.claims.transitions import (
    Actor,
    TransitionRefused,
    allowed_next_statuses,
    claim_transition,
)
from recallcases.notifications.services import claim_links_renew
from recallcases.recalls.models import Issue
from recallcases.workspace.forms import (
    ActionForm,
    QueueFilterForm,
    RemedyChangeForm,
    ShipmentForm,
)
from recallcases.workspace.permissions import staff_view

S = ClaimStatus
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class Action:
    to_status: str
    label: str
    key: str  # keyboard shortcut
    style: str
    needs_note: bool


def _actions(claim: Claim, user) -> tuple[list[Action], bool]:
    """The buttons this user may press on this claim now, and whether they may ship it.

    Each staff step of the lifecycle table carries its button; shipping steps take the shipment
    form instead. Steps a consumer takes have no button.
    """
    actions, can_ship = [], False
    for status in allowed_next_statuses(claim=claim, actor=Actor.staff(user)):
        step = step_between(claim.status, status)
        if step.ships:
            can_ship = True
            continue
        button = step.button
        actions.append(
            Action(
                status,
                button.label_for(claim.remedy),
                button.key,
                button.style,
                step.note_required,
            )
        )
    return actions, can_ship


@staff_view("claims.view_claim")
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = replace(
        form.filters(), search_contacts=request.user.has_perm("claims.view_shipping_details")
    )
    counts = status_counts(filters=filters)
    paginator = Paginator(claim_queue(filters=filters), QUEUE_PAGE_SIZE)
    # The counts already say how many claims match: no second count of them.
    paginator.count = counts.of(filters.status) if filters.status else counts.total
    page = paginator.get_page(request.GET.get("page"))
    # Each label is translated, and the claim page's address reversed, once per page, not once
    # per row (a reference is letters and digits: nothing in it to quote).
    status_labels = {value: str(label) for value, label in S.choices}
    claim_url = reverse("workspace:claim", args=["REFERENCE"])
    for claim in page:
        claim.url = claim_url.replace("REFERENCE", quote(claim.reference, safe=""))
        claim.status_label = status_labels.get(claim.status, claim.status)
        claim.signal_labels = signals_of(claim)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/queue.html",
        {
            "form": form,
            "page": page,
            "counts": [(value, label, counts.of(value)) for value, label in status_labels.items()],
            "total": counts.total,
            "query": query.urlencode(),
            "can_approve": request.user.has_perm("claims.approve_replacement"),
            "can_see_names": request.user.has_perm("claims.view_shipping_details"),
        },
    )


@staff_view("claims.view_claim")
def claim_detail(request, reference):
    claim = claim_for_staff(reference=reference)
    if claim is None:
        raise Http404
    actions, can_ship = _actions(claim, request.user)
    shipments = list(claim.shipments.all())
    for shipment in shipments:
        shipment.url = tracking_url(
            carrier=shipment.carrier, tracking_number=shipment.tracking_number, recall=claim.recall
        )
    timeline = staff_timeline(claim)
    # The statuses named for the claim's remedy ("Code sent", not "Replacement shipped").
    for row in timeline:
        if isinstance(row, ClaimEvent):
            row.to_label = STATUSES[row.to_status].label_for(claim.remedy)
            row.from_label = (
                STATUSES[row.from_status].label_for(claim.remedy) if row.from_status else ""
            )
    remedy_form = None
    if request.user.has_perm("claims.change_claim_remedy") and staff_may_change_remedy(claim):
        remedy_form = RemedyChangeForm(
            recall=claim.recall, initial={"remedy": claim.remedy, "version": claim.version}
        )
    offer = claim.recall.remedy_offer(claim.remedy)
    # A refund is paid and a code is sent by their own pages: only a shipped remedy is shipped here.
    can_ship = can_ship and offer.issued_by == Issue.SHIPMENT
    return render(
        request,
        "workspace/claim.html",
        {
            "claim": claim,
            "signals": signals_of(claim),
            "actions": actions,
            "ship_form": ShipmentForm(
                recall=claim.recall, initial={"version": claim.version, "remedy": claim.remedy}
            )
            if can_ship
            else None,
            "shipments": shipments,
            "can_see_photos": request.user.has_perm("claims.view_claim_photos"),
            "can_see_details": request.user.has_perm("claims.view_shipping_details"),
            "next_claim": next_claim_to_review(after=claim),
            "timeline": timeline,
            "status_label": STATUSES[claim.status].label_for(claim.remedy),
            "offer": offer,
            # What staff see of a gift card's code: its last four characters, never the whole.
            "code_last4": (code_last4 := _code_last4(claim)),
            "waits_for_code": not code_last4
            and offer.issued_by == Issue.CODE
            and claims_waiting_for_code().filter(pk=claim.pk).exists(),
            "remedy_form": remedy_form,
        },
    )


def _code_last4(claim: Claim) -> str:
    code = RemedyCode.objects.filter(claim=claim).first()
    return code.last4 if code else ""


@staff_view("claims.view_claim", "claims.change_claim_remedy")
@require_POST
def claim_remedy_view(request, reference):
    claim = Claim.objects.select_related("recall").filter(reference=reference).first()
    if claim is None:
        raise Http404
    form = RemedyChangeForm(request.POST, recall=claim.recall)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("workspace:claim", reference=claim.reference)
    data = form.cleaned_data
    try:
        claim = claim_remedy_change(
            claim_id=claim.pk,
            remedy=data["remedy"],
            actor=Actor.staff(request.user),
            note=data["note"],
            expected_version=data["version"],
        )
    except ClaimRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("The remedy of %(reference)s is now: %(remedy)s.")
            % {
                "reference": claim.reference,
                "remedy": claim.recall.remedy_offer(claim.remedy).label,
            },
        )
    return redirect("workspace:claim", reference=claim.reference)


@staff_view("claims.view_claim")
@require_POST
def claim_act(request, reference):
    claim = Claim.objects.filter(reference=reference).only("pk", "reference", "remedy").first()
    if claim is None:
        raise Http404
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That action was not understood. Reload the page."))
        return redirect("workspace:claim", reference=claim.reference)
    data = form.cleaned_data
    try:
        claim_transition(
            claim_id=claim.pk,
            to_status=data["to_status"],
            actor=Actor.staff(request.user),
            note=data["note"],
            expected_version=data["version"],
        )
    except TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("workspace:claim", reference=claim.reference)
    messages.success(
        request,
        _("%(reference)s is now “%(status)s”.")
        % {
            "reference": claim.reference,
            "status": STATUSES[data["to_status"]].label_for(claim.remedy),
        },
    )
    if data["go_next"]:
        following = next_claim_to_review(after=claim)
        if following is not None:
            return redirect("workspace:claim", reference=following.reference)
        return redirect("workspace:queue")
    return redirect("workspace:claim", reference=claim.reference)


# Those who may see whom the email goes to may send it: the link goes to the claim's address.
@staff_view("claims.view_claim", "claims.view_shipping_details")
@require_POST
def claim_links_renew_view(request, reference):
    claim = Claim.objects.filter(reference=reference).only("pk", "reference").first()
    if claim is None:
        raise Http404
    try:
        claim_links_renew(claim_id=claim.pk, actor=request.user)
    except ClaimRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("The claim's links no longer work; a new one is on its way to the consumer."),
        )
    return redirect("workspace:claim", reference=claim.reference)


@staff_view("claims.approve_replacement")
@require_POST
def bulk_approve(request):
    references = request.POST.getlist("claims")[:500]
    ids = list(Claim.objects.filter(reference__in=references).values_list("pk", flat=True))
    result = claims_approve(claim_ids=ids, actor=Actor.staff(request.user))
    if result.done:
        count = len(result.done)
        messages.success(
            request,
            ngettext(
                "Replacement approved for %(count)d claim.",
                "Replacement approved for %(count)d claims.",
                count,
            )
            % {"count": count},
        )
    for reference, why in result.refused:
        messages.error(request, f"{reference}: {why}")
    back = request.POST.get("back", "")
    # Only back to a workspace page: never an address a forged form could name.
    return redirect(back if back.startswith("/workspace/") else "workspace:queue")
