"""The audit trail for managers: who did what, when, with the values before and after."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from recallcases.audit.models import AuditAction
from recallcases.audit.selectors import AuditFilters, audit_entries
from recallcases.recalls.models import Recall
from recallcases.workspace.permissions import staff_view

PAGE_SIZE = 100


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All")), *AuditAction.choices]
    )
    recall = forms.ModelChoiceField(
        label=_("Recall"), required=False, queryset=Recall.objects.all(), empty_label=_("All")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> AuditFilters:
        data = self.cleaned_data if self.is_valid() else {}
        recall = data.get("recall")
        return AuditFilters(
            action=data.get("action") or "", recall_id=recall.pk if recall else None
        )


@staff_view("audit.view_auditentry")
@require_safe
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    page = Paginator(audit_entries(filters=form.filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
