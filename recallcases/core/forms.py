"""Form fields that the claim form and the incident form share: a line of text, a phone, a
photo, a region."""

import re
import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from recallcases.core.addresses import REGIONS
from recallcases.core.photo_pipeline import PhotoRejected, inspect_photo, process_photo

_PHONE_DIGITS = re.compile(r"[0-9]")
# Control characters (tab, line feed, carriage return, escape ...), line and paragraph separators.
_NOT_ON_ONE_LINE = {"Cc", "Zl", "Zp"}
# Characters that reorder how the text around them is shown (and can disguise it).
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_single_line(value: str) -> None:
    """Refuse line breaks and control characters in a field that holds one line (a name, a street).

    What a consumer types may end up in a message we send or a file staff open: a line break there
    starts text that looks like ours, and a control character can hide or reorder what is shown.
    """
    if any(
        unicodedata.category(character) in _NOT_ON_ONE_LINE or character in _BIDI_CONTROLS
        for character in value
    ):
        raise forms.ValidationError(
            _("Write this on one line, without line breaks or special characters such as tabs."),
            code="not_single_line",
        )


class SingleLineField(forms.CharField):
    """A line of text: no line breaks, no control characters."""

    default_validators = [validate_single_line]


class PhotoField(forms.FileField):
    """A photo taken with the phone's camera or chosen from its gallery, re-encoded on upload.

    Only in a `PhotoForm`: the field checks the header (bytes, format, pixels: under a
    millisecond) with the other fields; the form decodes and re-encodes the photo (a fifth of a
    second for a phone's photo, ADR 0009) once every other check passed, and only then does
    `cleaned_data` hold the `ProcessedPhoto`.
    """

    widget = forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return upload
        try:
            inspect_photo(upload)
        except PhotoRejected as rejected:
            raise forms.ValidationError(rejected.message, code=rejected.code) from None
        return upload


class PhotoForm(forms.Form):
    """A form with photos: each is decoded only when the rest of the form is valid, so a form
    sent back for a typo, or refused, costs no decoding; and no photo from a refused form is
    kept (the page asks for it again)."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or self._errors:
            return
        for name, field in self.fields.items():
            upload = self.cleaned_data.get(name)
            if not isinstance(field, PhotoField) or not upload:
                continue
            try:
                self.cleaned_data[name] = process_photo(upload)
            except PhotoRejected as rejected:
                self.add_error(name, forms.ValidationError(rejected.message, code=rejected.code))


class PhoneField(SingleLineField):
    """A phone number with its area code: 10 to 15 digits (0 to 9), whatever the punctuation."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"

    def clean(self, value):
        phone = super().clean(value)
        if any(character.isdigit() and not character.isascii() for character in phone):
            # Digits of other scripts look like a number to people, not to a carrier's system.
            raise forms.ValidationError(_("Write the phone number with the digits 0 to 9."))
        if phone and not 10 <= len(_PHONE_DIGITS.findall(phone)) <= 15:
            raise forms.ValidationError(_("Enter a phone number of 10 digits, with its area code."))
        return phone


def check_region_in_country(form: forms.Form, data: dict) -> bool:
    """Whether the chosen state or province belongs to the chosen country; says so if not."""
    country, region = data.get("country"), data.get("region")
    if country and region and region not in REGIONS[country]:
        form.add_error("region", _("Choose a state or province in the country you selected."))
        return False
    return True
