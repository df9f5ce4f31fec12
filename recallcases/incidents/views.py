"""Public pages: report an incident (from the recall's page or a claim's status page), thanks.

Views are thin: they parse input, call incident_report, and render or redirect.
"""

import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from recallcases.claims.models import Claim, Language
from recallcases.claims.selectors import claim_by_access_token
from recallcases.core.ratelimits import over_rate_limit, rate_limited
from recallcases.incidents.forms import IncidentForm
from recallcases.incidents.services import IncidentRefused, incident_report
from recallcases.recalls.models import Recall
from recallcases.recalls.selectors import recall_language_require

# The reported incident, kept in the session for the thank-you page a short while only.
REPORTED_INCIDENT = "reported_incident"
REPORTED_INCIDENT_TTL = 3600
RATE_GROUP = "incident-report"


def _page_language() -> str:
    language = (get_language() or "").lower()
    return language if language in Language.values else Language.ENGLISH


@require_http_methods(["GET", "POST"])
def incident_create(request, slug):
    # Any recall, open to claims or not: recalled units go on overheating after claims close.
    recall = recall_language_require(recall=get_object_or_404(Recall, slug=slug))
    return _report(request, recall=recall, claim=None)


@never_cache
@require_http_methods(["GET", "POST"])
def incident_create_from_claim(request, token):
    claim = claim_by_access_token(token=token)
    if claim is None:
        raise Http404
    return _report(request, recall=recall_language_require(recall=claim.recall), claim=claim)


def _report(request, *, recall: Recall, claim: Claim | None):
    reference = claim.reference if claim else ""
    if request.method == "POST":
        if over_rate_limit(request, group=RATE_GROUP, rates=[settings.CLAIM_SUBMIT_RATE]):
            return rate_limited(request)
        form = IncidentForm(request.POST, request.FILES, recall=recall, claim_reference=reference)
        if form.is_valid():
            try:
                incident = incident_report(
                    recall=recall,
                    claim=claim,
                    details=form.details(language=_page_language(), fallback=claim),
                    photo=form.cleaned_data["photo"] or None,
                )
            except IncidentRefused as refused:
                form.add_error(None, refused.message)
            else:
                request.session[REPORTED_INCIDENT] = {
                    "recall": recall.slug,
                    "reference": incident.reference,
                    "urgent": incident.urgent,
                    "at": time.time(),
                }
                return redirect("incidents:received", slug=recall.slug)
    else:
        # Where the claim's page was opened, the claim's own country and region; its name,
        # email and phone are never printed here (whoever holds the link would read them).
        initial = {"country": claim.country, "region": claim.region} if claim else {}
        form = IncidentForm(recall=recall, claim_reference=reference, initial=initial)
    return render(
        request, "incidents/report_form.html", {"recall": recall, "form": form, "claim": claim}
    )


@never_cache
def incident_received(request, slug):
    recall = recall_language_require(recall=get_object_or_404(Recall, slug=slug))
    reported = request.session.get(REPORTED_INCIDENT)
    if not reported or reported.get("recall") != recall.slug:
        return redirect("incidents:report", slug=recall.slug)
    if time.time() - reported["at"] > REPORTED_INCIDENT_TTL:
        request.session.pop(REPORTED_INCIDENT)
        return redirect("incidents:report", slug=recall.slug)
    return render(
        request,
        "incidents/report_received.html",
        {"recall": recall, "reference": reported["reference"], "urgent": reported["urgent"]},
    )
