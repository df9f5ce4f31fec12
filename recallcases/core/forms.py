"""Form fields that the claim form and the incident form share: a phone, a photo, a region."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from recallcases.core.addresses import REGIONS
from recallcases.core.photo_pipeline import PhotoRejected, process_photo

_PHONE_DIGITS = re.compile(r"\d")


class PhotoField(forms.FileField):
    """A photo taken with the phone's camera or chosen from its gallery, re-encoded on upload."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return upload
        try:
            return process_photo(upload)
        except PhotoRejected as rejected:
            raise forms.ValidationError(rejected.message, code=rejected.code) from None


class PhoneField(forms.CharField):
    """A phone number with its area code: 10 to 15 digits, whatever the punctuation."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"

    def clean(self, value):
        phone = super().clean(value)
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
