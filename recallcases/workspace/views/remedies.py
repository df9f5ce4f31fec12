"""Remedies other than a shipped replacement: gift card and voucher code pools, and refunds."""

from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.services.codes import (
    CODE_REMEDIES,
    claims_waiting_for_code,
    pool_level,
    remedy_codes_import,
)
from recallcases.claims.services.codes import IMPORT_MAX_BYTES as CODES_MAX_BYTES
from recallcases.claims.services.payments import (
    IMPORT_HELP as PAYMENTS_HELP,
)
from recallcases.claims.services.payments import (
    IMPORT_MAX_BYTES as PAYMENTS_MAX_BYTES,
)
from recallcases.claims.services.payments import (
    claims_to_pay,
    payments_import,
    refunds_csv,
)
from recallcases.claims.transitions import Actor
from recallcases.recalls.models import Recall
from recallcases.workspace.forms import GOOD_ROWS, CodesImportForm, TrackingImportForm
from recallcases.workspace.permissions import staff_view

CODES_HELP = gettext_lazy(
    "One column, code, with a header line; one gift card or voucher code a line. A code "
    "already in the pool is refused."
)


def _pools() -> list[tuple[Recall, object, object]]:
    """Every recall's pools of codes: (recall, offer, level), a few queries per pool."""
    return [
        (recall, offer, pool_level(recall=recall, remedy=offer.remedy))
        for recall in Recall.objects.order_by("slug")
        for offer in recall.remedy_offers
        if offer.remedy in CODE_REMEDIES
    ]


@staff_view("claims.import_remedy_codes")
@require_safe
def code_pools(request):
    return render(request, "workspace/code_pools.html", {"pools": _pools()})


@staff_view("claims.import_remedy_codes")
@require_http_methods(["GET", "POST"])
def remedy_codes(request, slug, remedy):
    recall = get_object_or_404(Recall, slug=slug)
    if remedy not in CODE_REMEDIES or remedy not in recall.offered_remedies:
        raise Http404
    report = None
    if request.method == "POST":
        form = CodesImportForm(
            request.POST, request.FILES, max_bytes=CODES_MAX_BYTES, help_text=CODES_HELP
        )
        report = form.imported(
            remedy_codes_import, recall=recall, remedy=remedy, actor=Actor.staff(request.user)
        )
    else:
        form = CodesImportForm(max_bytes=CODES_MAX_BYTES, help_text=CODES_HELP)
    return render(
        request,
        "workspace/remedy_codes.html",
        {
            "recall": recall,
            "offer": recall.remedy_offer(remedy),
            "level": pool_level(recall=recall, remedy=remedy),
            "waiting": claims_waiting_for_code(recall=recall)
            .filter(remedy=remedy)
            .only("reference", "updated_at")[:100],
            "form": form,
            "report": report,
        },
    )


@staff_view("claims.view_claim", "claims.view_shipping_details")
@require_safe
def refund_list(request):
    page = Paginator(claims_to_pay(), 100).get_page(request.GET.get("page"))
    for claim in page:
        claim.offer = claim.recall.remedy_offer(claim.remedy)
    return render(request, "workspace/refunds.html", {"page": page})


@staff_view("claims.view_claim", "claims.view_shipping_details")
@require_safe
def refund_export(request):
    """The refunds to pay as a CSV file for the payments team (names and emails: audited)."""
    claims = claims_to_pay()
    audit_record(
        actor=request.user,
        action=AuditAction.PAYMENTS_EXPORT,
        subject=None,
        subject_label="refunds",
        after={"claims": claims.count()},
    )
    response = StreamingHttpResponse(
        refunds_csv(claims=claims), content_type="text/csv; charset=utf-8"
    )
    filename = f"refunds-to-pay-{timezone.localdate():%Y-%m-%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store, private"
    return response


@staff_view("claims.record_shipment")
@require_http_methods(["GET", "POST"])
def payments_import_view(request):
    """Upload the payments team's confirmations; shows what each row did."""
    report = None
    if request.method == "POST":
        form = TrackingImportForm(
            request.POST, request.FILES, max_bytes=PAYMENTS_MAX_BYTES, help_text=PAYMENTS_HELP
        )
        report = form.imported(
            payments_import,
            actor=Actor.staff(request.user),
            apply_good_rows=form.data.get("bad_rows") == GOOD_ROWS,
        )
    else:
        form = TrackingImportForm(max_bytes=PAYMENTS_MAX_BYTES, help_text=PAYMENTS_HELP)
    return render(
        request,
        "workspace/claims_import.html",
        {
            "form": form,
            "report": report,
            "heading": _("Import payment confirmations"),
            "back_url": reverse("workspace:refunds"),
            "back_label": _("Refunds"),
        },
    )
