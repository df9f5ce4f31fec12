"""Staff pages of incident reports: the list (filters, CSV export), one incident, its photo, and
the steps staff record (acknowledged, regulator told, written report filed).

Seeing incidents needs `incidents.view_incident`; who reported one (name, email, phone) needs
`incidents.view_incident_contact` too; every step needs `incidents.acknowledge_incident`, which
the services check again, so a forged POST changes nothing.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from recallcases.incidents.models import Incident, IncidentKind
from recallcases.incidents.selectors import (
    IncidentFilters,
    incident_alert_email,
    incident_csv,
    incident_for_staff,
    incident_list,
)
from recallcases.incidents.services import (
    IncidentRefused,
    incident_acknowledge,
    incident_record_regulator_notice,
    incident_record_written_report,
)
from recallcases.recalls.models import Recall
from recallcases.workspace.permissions import staff_view

VIEW = "incidents.view_incident"
VIEW_CONTACT = "incidents.view_incident_contact"
ACT = "incidents.acknowledge_incident"
LIST_PAGE_SIZE = 50

_YES_NO = [("", gettext_lazy("Any")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class IncidentFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Reference"), required=False, max_length=20)
    recall = forms.ModelChoiceField(
        label=gettext_lazy("Recall"),
        required=False,
        queryset=Recall.objects.all(),
        empty_label=gettext_lazy("All"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("What happened"),
        required=False,
        choices=[("", gettext_lazy("Any")), *IncidentKind.choices],
    )
    urgent = forms.ChoiceField(label=gettext_lazy("Urgent"), required=False, choices=_YES_NO)
    acknowledged = forms.ChoiceField(
        label=gettext_lazy("Acknowledged"), required=False, choices=_YES_NO
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue for a regulator"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"

    def filters(self) -> IncidentFilters:
        data = self.cleaned_data if self.is_valid() else {}

        def yes_no(name):
            return {"yes": True, "no": False}.get(data.get(name) or "")

        return IncidentFilters(
            recall_id=data["recall"].pk if data.get("recall") else None,
            kind=data.get("kind") or "",
            urgent=yes_no("urgent"),
            acknowledged=yes_no("acknowledged"),
            overdue=bool(data.get("overdue")),
            search=data.get("q") or "",
        )


class RecordForm(forms.Form):
    """When something was done (empty: now) and a note (how, the regulator's file number)."""

    at = forms.DateTimeField(
        label=gettext_lazy("When (UTC; empty for now)"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control form-control-sm"}
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


@staff_view(VIEW)
@require_safe
def incident_list_view(request):
    form = IncidentFilterForm(request.GET or None)
    page = Paginator(incident_list(filters=form.filters()), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/incidents.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@staff_view(VIEW)
@require_safe
def incident_export(request):
    """The filtered list as CSV, streamed; contact details only for those who may see them."""
    form = IncidentFilterForm(request.GET or None)
    response = StreamingHttpResponse(
        incident_csv(
            incidents=incident_list(filters=form.filters()),
            with_contact=request.user.has_perm(VIEW_CONTACT),
        ),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"incidents-{timezone.localdate():%Y-%m-%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store, private"
    return response


@staff_view(VIEW)
@require_safe
def incident_detail(request, incident_reference):
    incident = incident_for_staff(reference=incident_reference)
    if incident is None:
        raise Http404
    can_act = request.user.has_perm(ACT)
    return render(
        request,
        "workspace/incident.html",
        {
            "incident": incident,
            "clocks": incident.health_canada_clocks,
            "alert": incident_alert_email(incident),
            "can_see_contact": request.user.has_perm(VIEW_CONTACT),
            "can_act": can_act,
            # Two forms on one page: ids of their own.
            "notice_form": RecordForm(auto_id="notice-%s") if can_act else None,
            "report_form": RecordForm(auto_id="report-%s") if can_act else None,
        },
    )


@never_cache
@staff_view(VIEW)
@require_safe
def incident_photo(request, incident_reference):
    """The incident's photo (re-encoded, no metadata), to staff who may see incidents only."""
    incident = Incident.objects.only("photo").filter(reference=incident_reference).first()
    if incident is None or not incident.photo:
        raise Http404
    response = FileResponse(incident.photo.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _act(request, incident_reference, step, done_message):
    incident = Incident.objects.only("pk", "reference").filter(reference=incident_reference).first()
    if incident is None:
        raise Http404
    try:
        step(incident, request.POST)
    except IncidentRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done_message % {"reference": incident.reference})
    return redirect("workspace:incident", incident_reference=incident.reference)


def _recorded(form_data) -> dict:
    form = RecordForm(form_data)
    if not form.is_valid():
        raise IncidentRefused(_("That time was not understood: use the date and time fields."))
    return {"at": form.cleaned_data["at"], "note": form.cleaned_data["note"]}


@staff_view(ACT)
@require_POST
def incident_acknowledge_view(request, incident_reference):
    return _act(
        request,
        incident_reference,
        lambda incident, _data: incident_acknowledge(incident_id=incident.pk, user=request.user),
        _("You acknowledged %(reference)s."),
    )


@staff_view(ACT)
@require_POST
def incident_regulator_notice_view(request, incident_reference):
    def step(incident, data):
        recorded = _recorded(data)
        incident_record_regulator_notice(
            incident_id=incident.pk,
            user=request.user,
            notified_at=recorded["at"],
            note=recorded["note"],
        )

    return _act(
        request, incident_reference, step, _("Recorded: the regulator was told of %(reference)s.")
    )


@staff_view(ACT)
@require_POST
def incident_written_report_view(request, incident_reference):
    def step(incident, data):
        recorded = _recorded(data)
        incident_record_written_report(
            incident_id=incident.pk,
            user=request.user,
            filed_at=recorded["at"],
            note=recorded["note"],
        )

    return _act(
        request, incident_reference, step, _("Recorded: the written report on %(reference)s.")
    )
