"""Consumer forms: shape checks only; the services decide what is in scope."""

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
    PhotoForm,
    SingleLineField,
    check_region_in_country,
)
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


class SerialCheckForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number (SN code)"),
        max_length=80,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, recall, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["serial"].help_text = serial_help(recall)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("check", _("Check my serial number")))


class SerialSearchForm(forms.Form):
    """The home page's check: a serial, and the product when it is in more than one recall."""

    serial = forms.CharField(
        label=_("Serial number (SN code)"),
        max_length=80,
        help_text=_("Letters and digits, as printed on your product's label."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    # Offered only when the serial is in several recalls: the products of the matching recalls.
    product = forms.TypedChoiceField(
        label=_("Which product do you have?"),
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.pk, f"{p.name} ({p.model})") for p in products]
        if not products:
            del self.fields["product"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(
            Submit("check", _("Continue") if products else _("Check my serial number"))
        )


class ClaimForm(PhotoForm):
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
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Your %(noun)s") % {"noun": recall.product_noun},
                "serial",
                "product",
                "photo",
                "purchase_date",
                *(["order_number"] if "order_number" in self.fields else []),
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

    def _recall_fields_set(self, recall) -> None:
        """The countries the recall serves, and its order number field (or none)."""
        self.fields["country"].choices = recall.country_choices()
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


class StatusUploadForm(PhotoForm):
    """The photo a claim waits for, and when asked for information, a corrected serial."""

    photo = PhotoField(label=_("Photo"), help_text=_("JPEG, PNG, WebP or HEIC, up to 10 MB."))
    serial = SingleLineField(
        label=_("Corrected serial number (only if we asked for it)"),
        max_length=80,
        required=False,
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

    def __init__(self, *args, asks_for_serial: bool, recall, **kwargs):
        super().__init__(*args, **kwargs)
        if not asks_for_serial:
            del self.fields["serial"]
        else:
            self.fields["serial"].help_text = serial_help(recall)
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
