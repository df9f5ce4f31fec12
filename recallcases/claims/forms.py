"""The claim's details as the consumer gives them: one set of shape checks for the claim form and
for a call-centre agent typing them in while the caller reads them out."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Language
from recallcases.core.addresses import (
    AddressError,
    normalise_postal_code,
    region_choices,
)
from recallcases.core.forms import (
    PhoneField,
    SingleLineField,
    check_region_in_country,
)
from recallcases.core.phones import phone_e164
from recallcases.recalls.models import Country, OrderNumberField


def serial_help(recall) -> str:
    """How the recall's serials look and where they are printed, from its data."""
    words = {"length": recall.serial_lengths, "where": recall.serial_where}
    if recall.serial_where:
        text = _(
            "%(length)s characters, %(where)s. Careful with look-alikes: 1, L and I; 2 and Z; "
            "0 and O."
        )
    else:
        text = _("%(length)s characters. Careful with look-alikes: 1, L and I; 2 and Z; 0 and O.")
    text = text % words
    if recall.serial_example:
        text += " " + _("For example: %(example)s.") % {"example": recall.serial_example}
    return text


def remedy_choices(recall) -> list[tuple[str, str]]:
    """The recall's remedy offers as the consumer reads them, in the file's order."""
    return [(offer.remedy, offer.label) for offer in recall.remedy_offers]


def texts_enabled() -> bool:
    """Whether status texts can be sent at all (a text backend is configured)."""
    return bool(settings.SMS_BACKEND)


class ClaimDetailsForm(forms.Form):
    """The unit and the consumer's details; subclasses add what their page asks besides."""

    serial = SingleLineField(label=_("Serial number (SN code)"), max_length=80)
    product = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = SingleLineField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("Email"), help_text=_("We send every update of your claim to this address.")
    )
    phone = PhoneField(label=_("Phone"))
    address_line1 = SingleLineField(label=_("Street address"), max_length=200)
    address_line2 = SingleLineField(
        label=_("Apartment, suite, unit (optional)"), max_length=200, required=False
    )
    city = SingleLineField(label=_("City"), max_length=100)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices)
    region = forms.ChoiceField(label=_("State or province"), choices=region_choices)
    postal_code = SingleLineField(label=_("ZIP or postal code"), max_length=12)
    language = forms.ChoiceField(label=_("Preferred language for emails"), choices=Language.choices)
    purchase_date = forms.DateField(
        label=_("Purchase date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Label, help, shape and whether it is asked at all come from the recall (__init__).
    order_number = SingleLineField(max_length=40)
    # Asked only when the recall offers more than one remedy (__init__).
    remedy = forms.ChoiceField(
        label=_("Your choice of remedy"),
        widget=forms.RadioSelect,
        help_text=_("You can change your choice from your claim's page until it is approved."),
    )
    text_opt_in = forms.BooleanField(
        label=_("Also text me each change of status (mobile number only)"),
        help_text=_(
            "A text with your claim's reference, a link and a verification code, nothing else. "
            "Reply STOP to stop them."
        ),
        required=False,
    )

    def __init__(self, *args, recall, **kwargs):
        super().__init__(*args, **kwargs)
        self.recall = recall
        if len(recall.remedy_offers) > 1:
            self.fields["remedy"].choices = remedy_choices(recall)
        else:
            del self.fields["remedy"]
        self.fields["product"].queryset = recall.products.all()
        self.fields["product"].label_from_instance = lambda p: f"{p.name} ({p.model})"
        self.fields["product"].label = _("Your %(noun)s") % {"noun": recall.product_noun}
        self.fields["serial"].help_text = serial_help(recall)
        self._recall_fields_set(recall)
        for name, autocomplete in {
            "name": "name",
            "email": "email",
            "phone": "tel",
            "address_line1": "address-line1",
            "address_line2": "address-line2",
            "city": "address-level2",
            "region": "address-level1",
            "postal_code": "postal-code",
            "country": "country",
        }.items():
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        self.fields["serial"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )
        if not texts_enabled():
            del self.fields["text_opt_in"]

    def _recall_fields_set(self, recall) -> None:
        """The countries the recall serves, and its order number field (or none)."""
        self.fields["country"].choices = recall.country_choices()
        # Emails and texts only in the languages the recall is offered in.
        self.fields["language"].choices = [
            (code, label) for code, label in Language.choices if recall.offers_language(code)
        ] or Language.choices
        self.fields["region"].choices = region_choices(countries=recall.served_countries)
        if recall.order_number == OrderNumberField.ABSENT:
            del self.fields["order_number"]
            return
        field = self.fields["order_number"]
        field.required = recall.order_number == OrderNumberField.REQUIRED
        label = recall.order_number_label or _("Order number")
        field.label = label if field.required else _("%(label)s (optional)") % {"label": label}
        field.help_text = recall.order_number_help

    def clean_order_number(self):
        order = self.cleaned_data["order_number"].strip()
        if order and not self.recall.order_number_matches(order):
            if self.recall.order_number_example:
                raise forms.ValidationError(
                    _("An order number looks like %(example)s.")
                    % {"example": self.recall.order_number_example}
                )
            raise forms.ValidationError(
                _("Type the order number exactly as your receipt shows it.")
            )
        return order

    def clean_purchase_date(self):
        day = self.cleaned_data["purchase_date"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The purchase date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        data.setdefault("order_number", "")  # a recall that asks for none
        data.setdefault("remedy", "")  # a recall that offers one remedy
        if not check_region_in_country(self, data):
            return data
        country, region = data.get("country"), data.get("region")
        if country and "postal_code" in data:
            try:
                data["postal_code"] = normalise_postal_code(
                    country=country, raw=data["postal_code"], region=region or ""
                )
            except AddressError as error:
                self.add_error("postal_code", error.message)
        wants_texts = data.get("text_opt_in") and data.get("phone") and country
        if wants_texts and phone_e164(data["phone"], country=country) is None:
            self.add_error(
                "phone", _("Texts need a mobile number with its area code, such as 514-555-0199.")
            )
        return data
