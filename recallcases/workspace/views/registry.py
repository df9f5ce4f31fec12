"""The serial registry in the workspace: a recall's in-scope serials imported from a CSV file."""

import io

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from recallcases.recalls.models import Recall
from recallcases.recalls.services import REPORT_LIST_LIMIT, RegistryRowError, registry_import_csv
from recallcases.workspace.permissions import staff_view

# A million rows of single serials make about 30 MB; Django writes an upload this large to a
# temporary file, and the import reads it from there row by row.
UPLOAD_MAX_BYTES = 200 * 1024 * 1024


class RegistryImportForm(forms.Form):
    recall = forms.ModelChoiceField(
        label=_lazy("Recall"), queryset=Recall.objects.all(), empty_label=None
    )
    file = forms.FileField(
        label=_lazy("CSV file"),
        help_text=_lazy(
            "Columns: model (or model number), first_serial and last_serial, with a header line; "
            "last_serial stays empty for a single serial. UTF-8, at most 200 MB. Rows already in "
            "the registry are skipped. A file of a million rows takes a minute or so: keep this "
            "page open until the report shows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)d MB. Split it and upload each part.")
                % {"max": UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        return file


@staff_view("recalls.add_registryentry")
@require_http_methods(["GET", "POST"])
def registry_import_view(request):
    """Upload a recall's serials and ranges; shows what was added, skipped and refused."""
    report = recall = None
    if request.method == "POST":
        form = RegistryImportForm(request.POST, request.FILES)
        if form.is_valid():
            recall = form.cleaned_data["recall"]
            # Read as it is consumed, from memory or from the temporary file: UTF-8, BOM or not.
            text = io.TextIOWrapper(form.cleaned_data["file"], encoding="utf-8-sig", newline="")
            try:
                report = registry_import_csv(
                    recall=recall,
                    file=text,
                    actor=request.user,
                    file_name=form.cleaned_data["file"].name,
                )
            except RegistryRowError as refused:
                form.add_error("file", _("Nothing imported: %(reason)s") % {"reason": refused})
            finally:
                text.detach()  # the upload closes its own file
    else:
        form = RegistryImportForm()
    return render(
        request,
        "workspace/registry_import.html",
        {"form": form, "report": report, "recall": recall, "list_limit": REPORT_LIST_LIMIT},
    )
