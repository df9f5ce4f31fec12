"""Consumer forms: shape checks only; the services decide what is in scope."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms
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
    PhotoField,
    SingleLineField,
    check_region_in_country,
)
from recallcases.recalls.models import Country

SERIAL_HELP = _(
    "16 characters, on the underside of the speaker after “SN”. Careful with look-alikes: "
    "1, L and I; 2 and Z; 0 and O."
)
_AMAZON_ORDER = re.compile(r"^\d{3}-\d{7}-\d{7}$", re.ASCII)


class SerialCheckForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number (SN code)"),
        max_length=80,
        help_text=SERIAL_HELP,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("check", _("Check my serial number")))


class ClaimForm(forms.Form):
    serial = SingleLineField(
        label=_("Serial number (SN code)"), max_length=80, help_text=SERIAL_HELP
    )
    product = forms.ModelChoiceField(queryset=None, label=_("Your speaker"), empty_label=None)
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
    order_number = SingleLineField(
        label=_("Amazon order number (optional)"),
        required=False,
        max_length=40,
        help_text=_("For example 123-1234567-1234567. You can find it in your Amazon orders."),
    )
    photo = PhotoField(
        label=_("Photo of the serial number label"),
        help_text=_("JPEG, PNG, WebP or HEIC, up to 10 MB. The label must be readable."),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that my details are used for this recall."
        )
    )

    def __init__(self, *args, recall, **kwargs):
        super().__init__(*args, **kwargs)
        self.recall = recall
        self.fields["product"].queryset = recall.products.all()
        self.fields["product"].label_from_instance = lambda p: f"{p.name} ({p.model})"
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
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Your speaker"), "serial", "product", "photo", "purchase_date", "order_number"
            ),
            Fieldset(
                _("Where to send the replacement"),
                "name",
                "email",
                "phone",
                "address_line1",
                "address_line2",
                "city",
                "country",
                "region",
                "postal_code",
                "language",
            ),
            HTML('{% include "consumer/privacy_notice.html" %}'),
            "consent",
        )

    def clean_order_number(self):
        order = self.cleaned_data["order_number"].strip()
        if order and not _AMAZON_ORDER.match(order):
            raise forms.ValidationError(_("An Amazon order number looks like 123-1234567-1234567."))
        return order

    def clean_purchase_date(self):
        day = self.cleaned_data["purchase_date"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The purchase date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
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
        return data


class StatusUploadForm(forms.Form):
    """The photo a claim waits for, and when asked for information, a corrected serial."""

    photo = PhotoField(label=_("Photo"), help_text=_("JPEG, PNG, WebP or HEIC, up to 10 MB."))
    serial = SingleLineField(
        label=_("Corrected serial number (only if we asked for it)"),
        max_length=80,
        required=False,
        help_text=SERIAL_HELP,
    )
    note = forms.CharField(
        label=_("Message to our team (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The claim's version the page showed: a post from an older page is refused before the photo
    # is decoded (StatusUploadForm.is_stale), and again by claim_transition.
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, asks_for_serial: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not asks_for_serial:
            del self.fields["serial"]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def is_stale(self, *, version: int) -> bool:
        """Whether this post was made from a page of another version of the claim than
        `version`. Reads only the posted version: no field is cleaned, no photo decoded."""
        return self.is_bound and self.data.get("version") != str(version)


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that a withdrawn claim gets no replacement.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
