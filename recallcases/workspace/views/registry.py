"""The serial registry in the workspace: a recall's in-scope serials imported from a CSV file."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from recallcases.recalls.services import REPORT_LIST_LIMIT, registry_import_csv
from recallcases.workspace.forms import RegistryImportForm
from recallcases.workspace.permissions import staff_view

# A million rows of single serials make about 30 MB; Django writes an upload this large to a
# temporary file, and the import reads it from there row by row.
UPLOAD_MAX_BYTES = 200 * 1024 * 1024


# gettext_lazy by its name: makemessages does not find the strings of an alias (_lazy).
IMPORT_HELP = gettext_lazy(
    "Columns: model (or model number), first_serial and last_serial, with a header line; "
    "last_serial stays empty for a single serial. Rows already in the registry are skipped. "
    "A file of a million rows takes a minute or so: keep this page open until the report "
    "shows."
)


@staff_view("recalls.add_registryentry")
@require_http_methods(["GET", "POST"])
def registry_import_view(request):
    """Upload a recall's serials and ranges; shows what was added, skipped and refused."""
    report = recall = None
    if request.method == "POST":
        form = RegistryImportForm(
            request.POST, request.FILES, max_bytes=UPLOAD_MAX_BYTES, help_text=IMPORT_HELP
        )
        if form.is_valid():
            recall = form.cleaned_data["recall"]
            report = form.imported(registry_import_csv, recall=recall, actor=request.user)
    else:
        form = RegistryImportForm(max_bytes=UPLOAD_MAX_BYTES, help_text=IMPORT_HELP)
    return render(
        request,
        "workspace/registry_import.html",
        {"form": form, "report": report, "recall": recall, "list_limit": REPORT_LIST_LIMIT},
    )
