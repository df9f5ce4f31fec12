"""Call-centre agents' pages: find a caller's claim, read its status, file a claim, log the call.

An agent sees a claim's contact details only on the page of the one claim they opened (each
opening audited), never its photos; a look-up lists references and statuses only (audited too),
and is posted, so that no phone number or email address is ever in an address or a log.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from recallcases.claims.models import CallOutcome, CallReason, Channel, Claim
from recallcases.claims.services import SERIAL_MESSAGES, ClaimRefused, ConsumerDetails
from recallcases.claims.services.calls import (
    call_log_record,
    claim_open_for_call,
    claim_submit_by_phone,
    claims_look_up,
)
from recallcases.claims.timeline import consumer_timeline
from recallcases.claims.tokens import reference_spelled
from recallcases.recalls.models import Recall
from recallcases.recalls.selectors import SerialVerdict, serial_lookup
from recallcases.workspace.forms import (
    CallLogForm,
    CallLookUpForm,
    CallSerialCheckForm,
    CallWithoutClaimForm,
    PhoneClaimForm,
)
from recallcases.workspace.permissions import staff_view

TAKE_CALLS = "claims.take_calls"


def _home(request, **context):
    return render(
        request,
        "workspace/calls.html",
        {
            "look_up_form": CallLookUpForm(),
            "serial_form": CallSerialCheckForm(),
            "call_form": CallWithoutClaimForm(),
            "recalls": Recall.objects.open_to_claims(),
            **context,
        },
    )


@staff_view(TAKE_CALLS)
def calls_home(request):
    return _home(request)


@staff_view(TAKE_CALLS)
@require_POST
def calls_look_up(request):
    form = CallLookUpForm(request.POST)
    if not form.is_valid():
        return _home(request, look_up_form=form)
    found = claims_look_up(
        agent=request.user, by=form.cleaned_data["by"], value=form.cleaned_data["value"]
    )
    return _home(request, look_up_form=form, found=found, looked_up=True)


@staff_view(TAKE_CALLS)
@require_POST
def calls_serial_check(request):
    form = CallSerialCheckForm(request.POST)
    verdict = None
    if form.is_valid():
        recall = form.cleaned_data["recall"]
        check = serial_lookup(recall=recall, raw_serial=form.cleaned_data["serial"])
        if check.verdict == SerialVerdict.RECALLED:
            verdict = (True, _("This unit is part of the recall: offer to file a claim."))
        else:
            verdict = (
                False,
                str(SERIAL_MESSAGES[check.verdict]) % {"length": recall.serial_lengths},
            )
    return _home(request, serial_form=form, verdict=verdict)


@staff_view(TAKE_CALLS)
@require_POST
def calls_log(request):
    """Log a call about no claim (an "is my unit affected?" call)."""
    form = CallWithoutClaimForm(request.POST)
    if not form.is_valid():
        return _home(request, call_form=form)
    call_log_record(
        agent=request.user,
        recall=form.cleaned_data["recall"],
        reason=form.cleaned_data["reason"],
        outcome=form.cleaned_data["outcome"],
    )
    messages.success(request, _("The call is logged."))
    return redirect("workspace:calls")


@staff_view(TAKE_CALLS)
@require_http_methods(["GET", "POST"])
def calls_claim(request, reference):
    """The claim an agent opened: its status and next step in plain words, the caller's contact
    details, its timeline, and the call's log."""
    try:
        claim = claim_open_for_call(agent=request.user, reference=reference)
    except Claim.DoesNotExist:
        raise Http404 from None
    if claim.anonymised_at is not None:
        raise Http404
    if request.method == "POST":
        form = CallLogForm(request.POST)
        if form.is_valid():
            call_log_record(
                agent=request.user,
                recall=claim.recall,
                claim=claim,
                reason=form.cleaned_data["reason"],
                outcome=form.cleaned_data["outcome"],
            )
            messages.success(request, _("The call is logged."))
            return redirect("workspace:calls_claim", reference=claim.reference)
    else:
        form = CallLogForm(initial={"reason": CallReason.STATUS, "outcome": CallOutcome.ANSWERED})
    first = claim.events.select_related("actor").order_by("created_at", "pk").first()
    return render(
        request,
        "workspace/calls_claim.html",
        {
            "claim": claim,
            "timeline": consumer_timeline(claim),
            "events": claim.events.order_by("created_at", "pk"),
            "calls": claim.calls.select_related("agent").order_by("created_at", "pk"),
            "by_phone": claim.channel == Channel.PHONE,
            "taken_by": first.actor if first and claim.channel == Channel.PHONE else None,
            "form": form,
            "filed": request.GET.get("filed") == "1",
            "spelled": reference_spelled(claim.reference),
        },
    )


@staff_view(TAKE_CALLS)
@require_http_methods(["GET", "POST"])
def calls_claim_new(request, slug):
    """File a claim for a caller: the claim form's checks, no photo; the consumer is emailed
    (and texted, if they want) a link to add the photos."""
    recall = get_object_or_404(
        Recall.objects.open_to_claims().prefetch_related("products"), slug=slug
    )
    if request.method == "POST":
        form = PhoneClaimForm(request.POST, recall=recall)
        if form.is_valid():
            data = form.cleaned_data
            try:
                submitted = claim_submit_by_phone(
                    recall=recall,
                    product=data["product"],
                    serial_as_typed=data["serial"],
                    details=ConsumerDetails(
                        **{name: data[name] for name in ConsumerDetails.__dataclass_fields__}
                    ),
                    agent=request.user,
                    text_opt_in=data.get("text_opt_in", False),
                    remedy=data.get("remedy", ""),
                )
            except ClaimRefused as refused:
                form.add_error(refused.field, refused.message)
            else:
                url = redirect("workspace:calls_claim", reference=submitted.claim.reference).url
                return redirect(f"{url}?filed=1")
    else:
        form = PhoneClaimForm(recall=recall)
    return render(request, "workspace/calls_new.html", {"recall": recall, "form": form})
