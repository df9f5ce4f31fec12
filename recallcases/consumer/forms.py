"""Consumer forms: shape checks only; the services decide what is in scope."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from recallcases.claims.forms import ClaimDetailsForm, serial_help
from recallcases.core.forms import PhotoField, SingleLineField

__all__ = ["ClaimForm", "SerialCheckForm", "SerialSearchForm", "StatusUploadForm", "WithdrawForm"]


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


class ClaimForm(ClaimDetailsForm):
    """The claim form: the details, the label photo and the consent to the privacy notice."""

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
        super().__init__(*args, recall=recall, **kwargs)
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
                *(["text_opt_in"] if "text_opt_in" in self.fields else []),
            ),
            HTML('{% include "consumer/privacy_notice.html" %}'),
            "consent",
        )


class StatusUploadForm(forms.Form):
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
