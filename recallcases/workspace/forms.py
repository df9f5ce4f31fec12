"""Staff forms: the queue's filters and the fields of each action."""

from django import forms
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recallcases.claims.forms import ClaimDetailsForm
from recallcases.claims.models import CallOutcome, CallReason, ClaimStatus
from recallcases.claims.selectors import QUEUE_ORDERS, SIGNALS, QueueFilters
from recallcases.claims.services import TRACKING_URLS
from recallcases.core.csv_files import CsvFileField, CsvRefused
from recallcases.core.forms import SingleLineField
from recallcases.recalls.models import Country, Issue, Product, Recall, Remedy

# The queue's select fields as HTML, by (language, field, value, choices); see
# QueueFilterForm.rendered. Bounded: emptied when full.
_SELECTS_HTML: dict[tuple, str] = {}
_SELECTS_HTML_MAX = 512


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ClaimStatus.choices]
    )
    recall = forms.ModelChoiceField(
        label=_("Recall"), required=False, queryset=Recall.objects.all(), empty_label=_("All")
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.all(), empty_label=_("All")
    )
    country = forms.ChoiceField(
        label=_("Country"), required=False, choices=[("", _("All")), *Country.choices]
    )
    older_than = forms.IntegerField(
        label=_("Waiting more than (days)"), required=False, min_value=0, max_value=3650
    )
    signal = forms.ChoiceField(
        label=_("Signal"), required=False, choices=[("", _("Any")), *list(SIGNALS.items())]
    )
    # A select like the others: the claims past a date their recall promised the consumer.
    promise = forms.ChoiceField(
        label=_("Promised dates"),
        required=False,
        choices=[("", _("All")), ("overdue", _("Past a promised date"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("created_at", _("Oldest first")),
            ("-created_at", _("Newest first")),
            ("-updated_at", _("Recently changed")),
            ("reference", _("Reference")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else ("form-control form-control-sm")
            )

    def rendered(self) -> list[tuple[forms.BoundField, str]]:
        """Each field with its HTML. A select's HTML is the same for every page showing the same
        choices, value and language: it is rendered once per process and kept (_SELECTS_HTML),
        which saves most of the queue's filter form rendering. The search box and the number of
        days are rendered each time: no search text is kept in memory."""
        cacheable = not self.is_bound or self.is_valid()
        language = translation.get_language()
        rendered = []
        for bound in self:
            field = bound.field
            if not (cacheable and isinstance(field.widget, forms.Select)):
                rendered.append((bound, str(bound)))
                continue
            if isinstance(field, forms.ModelChoiceField):
                # Read the recalls or products once (the same one query as before) and render
                # from that list: a renamed product makes a new key.
                field.choices = list(iter(field.choices))
            choices = tuple((str(value), str(label)) for value, label in field.choices)
            key = (language, bound.name, str(bound.value() or ""), choices)
            html = _SELECTS_HTML.get(key)
            if html is None:
                if len(_SELECTS_HTML) >= _SELECTS_HTML_MAX:
                    _SELECTS_HTML.clear()
                html = _SELECTS_HTML[key] = str(bound)
            rendered.append((bound, html))
        return rendered

    def filters(self) -> QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return QueueFilters(
            status=data.get("status") or "",
            recall_id=data["recall"].pk if data.get("recall") else None,
            product_id=data["product"].pk if data.get("product") else None,
            country=data.get("country") or "",
            older_than_days=data.get("older_than"),
            signal=data.get("signal") or "",
            overdue=data.get("promise") == "overdue",
            search=data.get("q") or "",
            order=data.get("sort") if data.get("sort") in QUEUE_ORDERS else "created_at",
        )


class ActionForm(forms.Form):
    to_status = forms.ChoiceField(choices=ClaimStatus.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
    version = forms.IntegerField(min_value=1)
    go_next = forms.BooleanField(required=False)


class ShipmentForm(forms.Form):
    carrier = forms.ChoiceField(
        label=_("Carrier"),
        choices=[*((name, name) for name in TRACKING_URLS), ("Other", _("Other"))],
    )
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60)
    remedy = forms.ChoiceField(label=_("Issued"), choices=Remedy.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, recall=None, **kwargs):
        super().__init__(*args, **kwargs)
        if recall is not None:
            # Only the shipped remedies: a refund or a gift card is issued by its own page.
            self.fields["remedy"].choices = [
                (offer.remedy, offer.label)
                for offer in recall.remedy_offers
                if offer.issued_by == Issue.SHIPMENT
            ]


class RemedyChangeForm(forms.Form):
    """Staff change the remedy a consumer chose, saying why."""

    remedy = forms.ChoiceField(label=_("Remedy"))
    note = forms.CharField(
        label=_("Why"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, recall, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remedy"].choices = [
            (offer.remedy, offer.label) for offer in recall.remedy_offers
        ]


# --- CSV imports ----------------------------------------------------------------------------------

# How the tracking import treats a file with refused rows.
ALL_OR_NOTHING = "all_or_nothing"
GOOD_ROWS = "good_rows"


class CsvUploadForm(forms.Form):
    """A CSV file for one of the staff import pages, at most `max_bytes` (each page its own).

    The page reads the file with the shared reader (recallcases.core.csv_files) through its
    service, and hands back a refused file with `refuse`.
    """

    def __init__(self, *args, max_bytes: int, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        limits = gettext("Text in UTF-8, UTF-16 or Latin-1, at most %(max)d MB.") % {
            "max": max_bytes // (1024 * 1024)
        }
        self.fields["file"] = CsvFileField(max_bytes=max_bytes, help_text=f"{help_text} {limits}")
        # The file first, whatever the subclass declares.
        self.order_fields(["file"])

    def refuse(self, refused: CsvRefused) -> None:
        """Show why the file was refused as a whole: nothing of it was imported."""
        self.add_error("file", gettext("Nothing imported: %(reason)s") % {"reason": refused})

    def imported(self, importer, **arguments):
        """The report of `importer(file=..., file_name=..., **arguments)` on the uploaded file.

        None when the form is not valid or the file is refused as a whole: the form says why.
        The one path every import page takes from an upload to its service.
        """
        if not self.is_valid():
            return None
        upload = self.cleaned_data["file"]
        try:
            return importer(file=upload, file_name=upload.name, **arguments)
        except CsvRefused as refused:
            self.refuse(refused)
            return None


class TrackingImportForm(CsvUploadForm):
    bad_rows = forms.ChoiceField(
        label=_("If some rows are refused"),
        choices=[
            (ALL_OR_NOTHING, _("Apply nothing, so I can fix the file and send it again")),
            (GOOD_ROWS, _("Apply the good rows and list the refused ones")),
        ],
        initial=ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )


class CodesImportForm(CsvUploadForm):
    pass


class RegistryImportForm(CsvUploadForm):
    recall = forms.ModelChoiceField(
        label=_("Recall"), queryset=Recall.objects.all(), empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["recall", "file"])


# Call-centre agents ---------------------------------------------------------------------------


class CallLookUpForm(forms.Form):
    """How an agent finds a caller's claim: posted, never in the address (it may be a phone)."""

    by = forms.ChoiceField(
        label=_("Look up by"),
        choices=[
            ("reference", _("Claim reference")),
            ("phone", _("Phone number")),
            ("email", _("Email address")),
        ],
        initial="reference",
        widget=forms.RadioSelect,
    )
    value = SingleLineField(label=_("Reference, phone or email"), max_length=254)


class CallLogForm(forms.Form):
    """Why the caller called and how the call ended."""

    reason = forms.ChoiceField(label=_("Why they called"), choices=CallReason.choices)
    outcome = forms.ChoiceField(label=_("How the call ended"), choices=CallOutcome.choices)


class CallWithoutClaimForm(CallLogForm):
    """A call about no claim ("is my unit affected?"): the recall it was about."""

    recall = forms.ModelChoiceField(
        label=_("Recall"), queryset=Recall.objects.open_to_claims(), empty_label=None
    )
    field_order = ["recall", "reason", "outcome"]


class CallSerialCheckForm(forms.Form):
    """The serial a caller reads out, checked against a recall's registry."""

    recall = forms.ModelChoiceField(
        label=_("Recall"), queryset=Recall.objects.open_to_claims(), empty_label=None
    )
    serial = SingleLineField(label=_("Serial number (SN code)"), max_length=80)


class PhoneClaimForm(ClaimDetailsForm):
    """The claim form as an agent fills it in while the caller reads their details out: the
    same checks as the consumer's, without the photo (the consumer adds it from the link)."""

    caller_consents = forms.BooleanField(
        label=_(
            "I read the privacy notice to the caller, who agreed that their details are used "
            "for this recall."
        )
    )

    def __init__(self, *args, recall, **kwargs):
        super().__init__(*args, recall=recall, **kwargs)
        self.fields["language"].label = _("Language the caller wants emails and texts in")
        self.fields["email"].help_text = _(
            "Read it back letter by letter: the link to add the photos goes there."
        )
        if "text_opt_in" in self.fields:
            self.fields["text_opt_in"].label = _(
                "The caller wants status texts on this mobile number"
            )
            self.fields["text_opt_in"].help_text = _(
                "Texts carry the reference, a link and a verification code only; replying STOP "
                "stops them."
            )
