"""Consumer forms: shape checks only; the services decide what is in scope."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _

from recallcases.claims.forms import ClaimDetailsForm, remedy_choices, serial_help
from recallcases.core.forms import PhotoField, SingleLineField
from recallcases.recalls.models import Remedy

__all__ = [
    "ClaimForm",
    "RemedyChoiceForm",
    "SerialCheckForm",
    "SerialSearchForm",
    "StatusUploadForm",
    "WithdrawForm",
]

# The code of the one photo a recall that lists no proof items asks for (claims' SERIAL_LABEL_CODE).
SERIAL_LABEL_CODE = "serial_label"
PHOTO_FORMATS = _("JPEG, PNG, WebP or HEIC, up to 10 MB.")


class RemedyChoiceForm(forms.Form):
    """The consumer changes the remedy they chose, until it is approved."""

    remedy = forms.ChoiceField(label=_("Your choice of remedy"), widget=forms.RadioSelect)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, recall, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remedy"].choices = remedy_choices(recall)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ProofExample:
    """The layout object before a proof item's field: its example picture, if it has one. The
    recall's texts are data, so they are rendered as values, never parsed as a template."""

    def __init__(self, item):
        self.item = item

    def render(self, form, context, **kwargs):
        return render_to_string("consumer/_proof_example.html", {"item": self.item})


def proof_fields_add(form: forms.Form, items, *, optional: bool = False, missing=()) -> list:
    """Give `form` one photo field per proof item of its recall, each with its label and
    instruction, in place of its one `photo` field; return their layout (the example picture
    before each field). `optional`: every field may be left empty (at least one is asked for
    by `proof_photos`); `missing`: codes of required photos the claim does not have yet."""
    if not items:
        return ["photo"]
    del form.fields["photo"]
    layout = []
    for item in items:
        # Help texts are shown as HTML: the recall's words are escaped here.
        help_text = conditional_escape(PHOTO_FORMATS)
        if item.instruction:
            help_text = format_html("{} {}", item.instruction, help_text)
        if item.code in missing:
            help_text = format_html("{} {}", _("We do not have this photo yet."), help_text)
        form.fields[item.field_name] = PhotoField(
            label=item.label, help_text=help_text, required=item.required and not optional
        )
        layout.append(ProofExample(item))
        layout.append(item.field_name)
    return layout


def proof_photos(form: forms.Form, items) -> dict:
    """The photos a valid form carries, by proof item code (the serial label's where the recall
    lists none)."""
    if not items:
        photo = form.cleaned_data.get("photo")
        return {SERIAL_LABEL_CODE: photo} if photo else {}
    return {
        item.code: form.cleaned_data[item.field_name]
        for item in items
        if form.cleaned_data.get(item.field_name)
    }


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


class MessageVerifyForm(forms.Form):
    """The code printed at the foot of a message, to check that we sent it."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        help_text=_("8 letters and digits, as the message prints it, e.g. ABCD-EFGH."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("verify", _("Check this code")))


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
        # The photos the recall asks for, each in its own field (docs/recall-file.md).
        self.proof_items = list(recall.proof_items.all())
        proof_layout = proof_fields_add(self, self.proof_items)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Your %(noun)s") % {"noun": recall.product_noun},
                HTML('{% include "consumer/_label_pictures.html" %}'),
                "serial",
                "product",
                *proof_layout,
                "purchase_date",
                *(["order_number"] if "order_number" in self.fields else []),
            ),
            *(["remedy"] if "remedy" in self.fields else []),
            Fieldset(
                _("Where to send the replacement")
                if recall.offered_remedies == [Remedy.REPLACEMENT]
                else _("Your contact details"),
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

    def proof_photos(self) -> dict:
        """The claim's photos by proof item code, once the form is valid."""
        return proof_photos(self, self.proof_items)


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

    def __init__(self, *args, asks_for_serial: bool, recall, missing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.asks_for_proof = asks_for_serial
        if not asks_for_serial:
            del self.fields["serial"]
            self.proof_items = []
        else:
            self.fields["serial"].help_text = serial_help(recall)
            # Asked for information: any of the recall's proof photos, e.g. the missing one.
            self.proof_items = list(recall.proof_items.all())
            proof_layout = proof_fields_add(self, self.proof_items, optional=True, missing=missing)
        self.helper = FormHelper()
        self.helper.form_tag = False
        if self.proof_items:
            # The proof photos first, each after its example picture, as on the claim form.
            self.helper.layout = Layout(
                *proof_layout, *(name for name in self.fields if not name.startswith("photo"))
            )

    def clean(self):
        data = super().clean()
        if self.proof_items and not self.errors and not self.proof_photos():
            raise forms.ValidationError(_("Please add at least one photo."))
        return data

    def proof_photos(self) -> dict:
        """The proof photos sent, by proof item code (none when it takes proof of disposal)."""
        return proof_photos(self, self.proof_items) if self.asks_for_proof else {}

    def is_stale(self, *, version: int) -> bool:
        """Whether this post was made from a page of another version of the claim than
        `version`. Reads only the posted version: no field is cleaned, no photo decoded."""
        return self.is_bound and self.data.get("version") != str(version)


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that a withdrawn claim gets no replacement.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, remedy: str = Remedy.REPLACEMENT, **kwargs):
        super().__init__(*args, **kwargs)
        if remedy != Remedy.REPLACEMENT:
            self.fields["confirm"].label = _("I understand that a withdrawn claim gets no remedy.")
        self.helper = FormHelper()
        self.helper.form_tag = False
