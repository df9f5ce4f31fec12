"""The consumer's incident report form: shape checks only; incident_report decides the rest."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from recallcases.core.addresses import region_choices
from recallcases.core.forms import (
    PhoneField,
    PhotoField,
    PhotoForm,
    SingleLineField,
    check_region_in_country,
)
from recallcases.incidents.models import IncidentKind, Timing
from recallcases.incidents.services import IncidentDetails
from recallcases.recalls.models import Country

# What the consumer may answer when they give no date; a date, when given, decides.
TIMING_CHOICES = [
    (Timing.BEFORE, _("Before")),
    (Timing.AFTER, _("After")),
    (Timing.UNKNOWN, _("I am not sure")),
]


class IncidentForm(PhotoForm):
    kinds = forms.MultipleChoiceField(
        label=_("What happened? Tick all that apply."),
        choices=IncidentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one: what happened.")},
    )
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        required=False,
        help_text=_("Leave empty if you do not know the date."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    timing = forms.ChoiceField(
        # The label names the announcement's date: set in __init__.
        choices=TIMING_CHOICES,
        required=False,
        initial=Timing.UNKNOWN,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("What happened, in your own words"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    photo = PhotoField(
        label=_("Photo (optional)"),
        required=False,
    )
    contact_name = SingleLineField(label=_("Full name"), max_length=200)
    contact_email = forms.EmailField(label=_("Email"))
    contact_phone = PhoneField(label=_("Phone (optional)"), required=False)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices)
    region = forms.ChoiceField(
        label=_("State or province (optional)"), choices=region_choices, required=False
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my report and details are used for the safety of this recall and "
            "passed on to product safety regulators."
        )
    )

    def __init__(self, *args, recall, claim_reference: str = "", **kwargs):
        """`claim_reference`: reported from that claim's page; contact details may stay empty."""
        super().__init__(*args, **kwargs)
        self.recall = recall
        self.fields["timing"].label = _(
            "Was it before or after the recall was announced on %(date)s?"
        ) % {"date": date_format(recall.announced_on, "DATE_FORMAT")}
        self.fields["timing"].help_text = _("If you gave the date, we use the date.")
        # Where the recall was sold: a US-only recall's form offers no Canadian provinces.
        self.fields["country"].choices = recall.country_choices()
        self.fields["region"].choices = region_choices(countries=recall.served_countries)
        noun = {"noun": recall.product_noun}
        self.fields["description"].help_text = (
            _(
                "For example: where the %(noun)s was, whether it was charging, what you saw, "
                "what was damaged, who was hurt and how."
            )
            % noun
        )
        self.fields["photo"].help_text = (
            _("A photo of the %(noun)s or of the damage. JPEG, PNG, WebP or HEIC, up to 10 MB.")
            % noun
        )
        contact = ("contact_name", "contact_email", "contact_phone")
        if claim_reference:
            for name in contact:
                self.fields[name].required = False
            self.fields["contact_name"].help_text = _(
                "Leave your name, email and phone empty to use those of your claim %(reference)s."
            ) % {"reference": claim_reference}
        for name, autocomplete in {
            "contact_name": "name",
            "contact_email": "email",
            "contact_phone": "tel",
            "country": "country",
            "region": "address-level1",
        }.items():
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("What happened"), "kinds", "occurred_on", "timing", "description", "photo"),
            Fieldset(_("How we can reach you"), *contact, "country", "region"),
            "consent",
        )

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        check_region_in_country(self, data)
        return data

    def details(self, *, language: str, fallback=None) -> IncidentDetails:
        """The report as the service takes it; empty contact fields taken from `fallback`."""
        data = self.cleaned_data

        def contact(field: str, claim_field: str) -> str:
            given = data.get(field) or ""
            return given or (getattr(fallback, claim_field, "") if fallback is not None else "")

        return IncidentDetails(
            kinds=frozenset(data["kinds"]),
            description=data["description"],
            occurred_on=data.get("occurred_on"),
            timing_as_told=data.get("timing") or Timing.UNKNOWN,
            contact_name=contact("contact_name", "name"),
            contact_email=contact("contact_email", "email"),
            contact_phone=contact("contact_phone", "phone"),
            country=data["country"],
            region=data.get("region") or "",
            language=language,
        )
