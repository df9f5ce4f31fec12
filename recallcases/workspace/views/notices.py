"""Direct notice pages: a recall's known purchasers, sending them the notice, importing the list
and the email provider's bounces."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from recallcases.claims.models import Language
from recallcases.notices.selectors import (
    PurchaserFilters,
    notice_counts,
    purchaser_list,
    recalls_with_purchasers,
)
from recallcases.notices.services.purchasers import (
    purchasers_bounced_csv,
    purchasers_import_csv,
)
from recallcases.notices.services.sending import (
    notices_send,
)
from recallcases.notifications.models import EmailKind
from recallcases.recalls.models import Country, Recall
from recallcases.workspace.forms import CsvUploadForm
from recallcases.workspace.permissions import staff_view

PAGE_SIZE = 100
# Notices written per press of the button: a large list is sent in a few presses, each a short
# request; the rate at which they go out is set apart (NOTICE_RATE_PER_MINUTE).
SEND_BATCH = 5000
# A list of 70,000 purchasers is about 8 MB.
UPLOAD_MAX_BYTES = 20 * 1024 * 1024

STATE_CHOICES = [
    ("", gettext_lazy("All")),
    ("not_notified", gettext_lazy("Not notified yet")),
    ("pending", gettext_lazy("Notice waiting to be sent")),
    ("sent", gettext_lazy("Notice sent")),
    ("failed", gettext_lazy("Notice failed")),
    ("bounced", gettext_lazy("Bounced")),
    ("unsubscribed", gettext_lazy("Unsubscribed")),
    ("claimed", gettext_lazy("Claimed")),
    ("not_claimed", gettext_lazy("Not claimed")),
]


class PurchaserFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False, choices=STATE_CHOICES)
    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        required=False,
        choices=[("", gettext_lazy("All")), *Country.choices],
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("All")), *Language.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else "form-control form-control-sm"
            )

    def filters(self) -> PurchaserFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return PurchaserFilters(
            state=data.get("state") or "",
            country=data.get("country") or "",
            language=data.get("language") or "",
            search=data.get("q") or "",
        )


def _recall(slug: str) -> Recall:
    return get_object_or_404(Recall, slug=slug)


@staff_view("notices.view_purchaser")
def notices_index(request):
    return render(request, "workspace/notices.html", {"recalls": recalls_with_purchasers()})


@staff_view("notices.view_purchaser")
def notices_recall(request, slug):
    recall = _recall(slug)
    form = PurchaserFilterForm(request.GET or None)
    page = Paginator(purchaser_list(recall=recall, filters=form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/notices_recall.html",
        {
            "recall": recall,
            "counts": notice_counts(recall),
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "send_batch": SEND_BATCH,
        },
    )


@staff_view("notices.send_notice")
@require_POST
def notices_send_view(request, slug):
    recall = _recall(slug)
    batch = notices_send(
        recall=recall, kind=EmailKind.RECALL_NOTICE, limit=SEND_BATCH, actor=request.user
    )
    if batch.written:
        messages.success(
            request,
            ngettext(
                "The notice is on its way to %(count)d purchaser; the last goes out at %(last)s "
                "UTC.",
                "The notice is on its way to %(count)d purchasers; the last goes out at %(last)s "
                "UTC.",
                batch.written,
            )
            % {"count": batch.written, "last": f"{batch.last_at:%Y-%m-%d %H:%M}"},
        )
    else:
        messages.info(request, _("Every purchaser who can be reached has been notified."))
    return redirect("workspace:notices_recall", slug=recall.slug)


def _import_page(request, slug, *, importer, help_text, template):
    """A recall's CSV upload page (purchasers, bounces): the form, and the report once posted."""
    recall = _recall(slug)
    form = CsvUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        max_bytes=UPLOAD_MAX_BYTES,
        help_text=help_text,
    )
    report = (
        form.imported(importer, recall=recall, actor=request.user)
        if request.method == "POST"
        else None
    )
    return render(request, template, {"recall": recall, "form": form, "report": report})


@staff_view("notices.add_purchaser")
@require_http_methods(["GET", "POST"])
def purchasers_import_view(request, slug):
    return _import_page(
        request,
        slug,
        importer=purchasers_import_csv,
        help_text=_(
            "Columns: name, email, order_number, model, serial, country (US or CA) and language "
            "(en or fr-ca), with a header line; email and country are needed. Rows already on "
            "the list are skipped."
        ),
        template="workspace/notices_import.html",
    )


@staff_view("notices.send_notice")
@require_http_methods(["GET", "POST"])
def bounces_import_view(request, slug):
    return _import_page(
        request,
        slug,
        importer=purchasers_bounced_csv,
        help_text=_(
            "Your email provider's export of bounces: a column email, address or recipient, and "
            "optionally type and reason. Soft bounces are left alone."
        ),
        template="workspace/notices_bounces.html",
    )
