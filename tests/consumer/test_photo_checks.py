"""A claim's photo: its header is checked with the other fields, and it is decoded only once the
rest of the form is valid (ADR 0009)."""

import pytest

from recallcases.claims.models import Claim, ClaimPhoto
from recallcases.core import forms as core_forms
from tests.consumer.test_pages import RECALL, claim_form_data
from tests.images import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def decodes(monkeypatch):
    """The photos the forms decoded (process_photo runs as ever; its calls are counted)."""
    calls = []
    real = core_forms.process_photo

    def counted(upload):
        calls.append(upload.name)
        return real(upload)

    monkeypatch.setattr(core_forms, "process_photo", counted)
    return calls


def test_form_sent_back_for_a_typo_decodes_no_photo(client, speaker, decodes):
    response = client.post(RECALL + "claim/", claim_form_data(product=speaker.pk, email="jordan@"))
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert decodes == []
    assert not Claim.objects.exists()


def test_valid_claim_decodes_its_photo_once(client, speaker, decodes):
    response = client.post(RECALL + "claim/", claim_form_data(product=speaker.pk))
    assert response.status_code == 302
    assert decodes == ["label.jpg"]
    assert ClaimPhoto.objects.get().source_format == "JPEG"


def test_not_a_photo_is_refused_beside_the_other_errors(client, speaker, decodes):
    fake = photo_upload(name="label.jpg", content=b"%PDF-1.7 not a photo")
    response = client.post(
        RECALL + "claim/", claim_form_data(product=speaker.pk, email="jordan@", photo=fake)
    )
    page = response.content.decode()
    assert "This file is not a photo we can read." in page
    assert "Enter a valid email address." in page
    assert decodes == []


def test_photo_with_a_good_header_and_broken_pixels_is_refused_and_nothing_kept(client, speaker):
    whole = jpeg_bytes(size=(1600, 1200))
    broken = photo_upload(content=whole[: len(whole) // 3])
    response = client.post(RECALL + "claim/", claim_form_data(product=speaker.pk, photo=broken))
    assert response.status_code == 200
    assert "We could not read this photo" in response.content.decode()
    assert not Claim.objects.exists() and not ClaimPhoto.objects.exists()


def test_photo_over_the_pixel_limit_is_refused_from_its_header(client, speaker, decodes):
    # A JPEG whose header declares 9000 x 6000 pixels: 54 megapixels, over the 50 allowed.
    out = jpeg_bytes(size=(9000, 6000), color=(0, 0, 0))
    response = client.post(
        RECALL + "claim/", claim_form_data(product=speaker.pk, photo=photo_upload(content=out))
    )
    assert "This photo has too many pixels" in response.content.decode()
    assert decodes == []
