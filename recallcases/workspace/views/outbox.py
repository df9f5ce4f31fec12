"""Failed emails: the list staff watch, and sending one again."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.notifications.services import outbox_retry
from recallcases.workspace.permissions import staff_view


@staff_view("claims.view_claim")
def failed_emails(request):
    emails = (
        OutboundEmail.objects.filter(state=EmailState.FAILED)
        .select_related("claim")
        .only(
            "pk",
            "kind",
            "channel",
            "attempts",
            "last_error",
            "created_at",
            "recipient",
            "claim__reference",
        )
        .order_by("-created_at")
    )
    page = Paginator(emails, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "workspace/failed_emails.html",
        {
            "page": page,
            # A purchaser's address is contact data: only roles that ship see it (ADR 0004).
            "can_see_recipients": request.user.has_perm("claims.view_shipping_details"),
        },
    )


@staff_view("claims.view_claim")
@require_POST
def email_retry(request, email_id):
    if outbox_retry(email_id=email_id, actor=request.user):
        messages.success(request, _("The email will be sent again."))
    else:
        messages.info(request, _("This email is not failed (any more)."))
    return redirect("workspace:failed_emails")
