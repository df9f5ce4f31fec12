"""Proof rules per recall: the photos a claim needs, each its own upload with its instruction and
example picture; which of them staff must open before verifying.

The power bank recall (recalls/data/anker-power-banks-2025.json) asks for two photos, the label and
the unit marked "recalled" with the date and the owner's name, both to be seen before verifying,
and an optional receipt. The speaker recall lists no proof items: one photo of the serial label,
as it always did.
"""

import re

import pytest
from django.core.files.storage import default_storage

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.claims.models import Claim, ClaimPhoto, ClaimStatus, PhotoKind
from recallcases.claims.services import ClaimRefused, claim_consumer_upload, claim_submit
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.core.photo_pipeline import MAX_UPLOAD_BYTES, process_photo
from recallcases.recalls.models import ProofItem
from recallcases.workspace.roles import REVIEWER
from tests.conftest import member_of
from tests.consumer.test_pages import claim_form_data
from tests.consumer.test_second_recall import offer_in
from tests.factories import claim_with_link, consumer_details
from tests.images import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db

S = ClaimStatus
RECALLED = "A1263PB0000042"
US_ADDRESS = {"country": "US", "region": "WA", "postal_code": "98101"}


def photo(color=(200, 30, 30)):
    return process_photo(jpeg_bytes(color=color))


def power_bank_claim(power_banks, **photos) -> Claim:
    """A power bank claim filed with `photos` (by proof item code) through claim_submit."""
    return claim_submit(
        recall=power_banks,
        product=power_banks.products.get(),
        serial_as_typed=RECALLED,
        details=consumer_details(city="Seattle", address_line1="1200 Pine St", **US_ADDRESS),
        photos=photos,
    ).claim


def two_photo_form(power_banks, **overrides) -> dict:
    return {
        **claim_form_data(
            serial=RECALLED,
            product=power_banks.products.get().pk,
            order_number="",
            remedy="replacement",
            **US_ADDRESS,
            **overrides,
        ),
        "photo_marked_unit": photo_upload("unit.jpg", jpeg_bytes(color=(10, 200, 10))),
    }


# The claim form -------------------------------------------------------------------------------


def test_power_bank_claim_form_asks_for_each_photo_with_its_instruction_and_example(
    client, power_banks
):
    page = client.get("/en/anker-power-banks-2025/claim/").content.decode()
    # one upload per proof item, in the recall's order; the receipt may be left out
    inputs = re.findall(r'<input type="file" name="(\w+)"[^>]*>', page)
    assert inputs == ["photo", "photo_marked_unit", "photo_receipt"]
    assert re.search(r'<input type="file" name="photo_marked_unit"[^>]*required', page)
    assert not re.search(r'<input type="file" name="photo_receipt"[^>]*required', page)
    assert "Photo of the power bank marked “recalled”" in page
    assert "Write the word “recalled”, today&#x27;s date and your name" in page
    # the example pictures, at the address of their proof item
    for code in ("serial_label", "marked_unit"):
        item = power_banks.proof_items.get(code=code)
        assert f'src="/recall-pictures/example/{item.pk}/"' in page
    assert 'id="proof-example-receipt"' not in page  # no example given
    # where the label is on the product, with its alt text
    product = power_banks.products.get()
    assert f'src="/recall-pictures/label/{product.pk}/"' in page
    assert 'alt="The back of the power bank: the label with the model A1263' in page


def test_power_bank_claim_form_in_french_reads_the_french_texts(client, power_banks):
    offer_in(power_banks, "fr-ca")  # its file offers English and Spanish
    page = client.get("/fr-ca/anker-power-banks-2025/claim/").content.decode()
    assert "Photo de la batterie externe marquée « rappelée »" in page
    assert "Inscrivez le mot « rappelée »" in page
    assert "Le dos de la batterie externe" in page  # the label picture's alt text


def test_two_photo_proof_files_the_claim_with_each_photo_under_its_item(client, power_banks):
    # when: the label and the marked unit, no receipt
    response = client.post("/en/anker-power-banks-2025/claim/", two_photo_form(power_banks))
    # then
    assert response.status_code == 302
    claim = Claim.objects.get(recall=power_banks)
    photos = {p.proof_item.code: p for p in claim.photos.select_related("proof_item")}
    assert set(photos) == {"serial_label", "marked_unit"}
    assert {p.kind for p in photos.values()} == {PhotoKind.PROOF}
    assert photos["serial_label"].source_sha256 != photos["marked_unit"].source_sha256
    assert str(photos["marked_unit"].label) == "Photo of the power bank marked “recalled”"


def test_claim_without_a_required_photo_is_refused_and_keeps_no_file(client, power_banks):
    before = set(default_storage.listdir("claims/proof")[1]) if _exists("claims/proof") else set()
    data = two_photo_form(power_banks)
    del data["photo_marked_unit"]
    page = client.post("/en/anker-power-banks-2025/claim/", data).content.decode()
    assert not Claim.objects.exists()
    assert "This field is required." in page
    after = set(default_storage.listdir("claims/proof")[1]) if _exists("claims/proof") else set()
    assert after == before


def _exists(name: str) -> bool:
    try:
        default_storage.listdir(name)
    except FileNotFoundError:
        return False
    return True


def test_claim_submit_refuses_a_missing_required_photo(power_banks):
    with pytest.raises(ClaimRefused) as refused:
        power_bank_claim(power_banks, serial_label=photo())
    assert refused.value.field == "photo_marked_unit"
    assert "marked “recalled”" in str(refused.value.message)
    assert not Claim.objects.exists()


def test_claim_submit_refuses_a_photo_for_another_recalls_proof_item(recall, power_banks):
    # given: a proof item of another recall (the speaker recall gets one of its own here)
    ProofItem.objects.create(recall=recall, code="cut_cord", label_en="The cut cord")
    # when / then: a power bank claim naming it is refused whole
    with pytest.raises(ClaimRefused):
        power_bank_claim(power_banks, serial_label=photo(), marked_unit=photo(), cut_cord=photo())
    assert not Claim.objects.exists()


def test_claim_form_ignores_a_field_for_a_proof_item_the_recall_does_not_list(
    client, recall, speaker
):
    # the speaker recall asks for the label only: a posted "marked unit" is not read, not kept
    data = claim_form_data(product=speaker.pk)
    data["photo_marked_unit"] = photo_upload("unit.jpg", jpeg_bytes(color=(1, 2, 3)))
    assert client.post("/en/anker-speakers-2024/claim/", data).status_code == 302
    claim = Claim.objects.get()
    assert [(p.kind, p.proof_item_id) for p in claim.photos.all()] == [
        (PhotoKind.SERIAL_LABEL, None)
    ]


def test_a_huge_proof_photo_is_refused_with_the_limit(client, power_banks):
    data = two_photo_form(power_banks)
    data["photo_marked_unit"] = photo_upload("huge.jpg", b"\xff\xd8" + bytes(MAX_UPLOAD_BYTES))
    page = client.post("/en/anker-power-banks-2025/claim/", data).content.decode()
    assert "This photo is too large: the limit is 10 MB." in page
    assert not Claim.objects.exists()


def test_a_fake_proof_photo_is_refused(client, power_banks):
    data = two_photo_form(power_banks)
    data["photo_receipt"] = photo_upload("receipt.jpg", b"<html>not a photo</html>")
    page = client.post("/en/anker-power-banks-2025/claim/", data).content.decode()
    assert "This file is not a photo we can read." in page
    assert not Claim.objects.exists()


def test_speaker_claim_form_keeps_its_one_label_photo(client, recall):
    # the speaker recall lists no proof items: one field "photo", as before
    page = client.get("/en/anker-speakers-2024/claim/").content.decode()
    assert re.findall(r'<input type="file" name="(\w+)"', page) == ["photo"]
    assert "Photo of the serial number label" in page
    assert "JPEG, PNG, WebP or HEIC, up to 10 MB. The label must be readable." in page
    assert "/recall-pictures/" not in page


# Staff must open the photos before verifying ----------------------------------------------------


def act(client, claim, to_status, note=""):
    claim.refresh_from_db()
    return client.post(
        f"/workspace/claims/{claim.reference}/act/",
        {"to_status": to_status, "note": note, "version": claim.version},
        follow=True,
    )


def test_verify_is_refused_until_the_reviewer_opened_every_photo_to_be_seen(
    client, power_banks, reviewer, as_user
):
    claim = power_bank_claim(
        power_banks, serial_label=photo(), marked_unit=photo((9, 9, 9)), receipt=photo((1, 1, 1))
    )
    photos = {p.proof_item.code: p for p in claim.photos.select_related("proof_item")}
    as_user(reviewer)
    # when: verifying straight away
    page = act(client, claim, S.VERIFIED).content.decode()
    # then: refused, naming both photos; the receipt need not be seen
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    assert "Open every photo that must be seen before verifying" in page
    assert "Photo of the label with the model and serial number" in page
    assert "Photo of the power bank marked “recalled”" in page.split("before verifying:")[1]
    assert "receipt" not in page.split("before verifying:")[1].split("</")[0]
    # the label opened: still refused, for the marked unit
    assert client.get(f"/photos/{photos['serial_label'].pk}/image/").status_code == 200
    page = act(client, claim, S.VERIFIED).content.decode()
    assert "Open every photo" in page
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    # a thumbnail is not the photo opened
    client.get(f"/photos/{photos['marked_unit'].pk}/thumbnail/")
    act(client, claim, S.VERIFIED)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    # both opened: verified
    client.get(f"/photos/{photos['marked_unit'].pk}/image/")
    act(client, claim, S.VERIFIED)
    claim.refresh_from_db()
    assert claim.status == S.VERIFIED
    # each first opening is in the audit trail, once
    client.get(f"/photos/{photos['marked_unit'].pk}/image/")
    views = AuditEntry.objects.filter(action=AuditAction.PHOTO_VIEW, claim_id=claim.pk)
    assert sorted(entry.after["kind"] for entry in views) == ["marked_unit", "serial_label"]
    assert {entry.actor_id for entry in views} == {reviewer.pk}


def test_photos_opened_by_one_reviewer_do_not_count_for_another(
    client, power_banks, roles, as_user
):
    first, second = member_of(REVIEWER, "first"), member_of(REVIEWER, "second")
    claim = power_bank_claim(power_banks, serial_label=photo(), marked_unit=photo((9, 9, 9)))
    as_user(first)
    for item in claim.photos.all():
        client.get(f"/photos/{item.pk}/image/")
    as_user(second)
    act(client, claim, S.VERIFIED)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_staff_claim_page_shows_each_photo_under_its_label(client, power_banks, reviewer, as_user):
    claim = power_bank_claim(power_banks, serial_label=photo(), marked_unit=photo((9, 9, 9)))
    page = as_user(reviewer).get(f"/workspace/claims/{claim.reference}/").content.decode()
    labels = re.findall(r'<strong class="photo-label">([^<]+)</strong>', page)
    assert labels == [
        "Photo of the label with the model and serial number",
        "Photo of the power bank marked “recalled”",
    ]
    assert page.count("to be seen before verifying") == 2


def test_speaker_claim_is_verified_without_opening_its_photo(client, speaker, reviewer, as_user):
    # the speaker recall names no photo to be seen first: the step works as it always did
    claim, _token = claim_with_link(product=speaker)
    as_user(reviewer)
    act(client, claim, S.VERIFIED)
    claim.refresh_from_db()
    assert claim.status == S.VERIFIED


# The status page: a photo staff asked for ----------------------------------------------------


def test_consumer_adds_the_missing_receipt_when_staff_ask(client, power_banks):
    # given: a claim without the optional receipt, and staff asking for it
    claim, token = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), **US_ADDRESS
    )
    claim_transition(
        claim_id=claim.pk, to_status=S.INFORMATION_REQUESTED, actor=SYSTEM, note="Your receipt?"
    )
    claim.refresh_from_db()
    page = client.get(f"/en/status/{token}/").content.decode()
    # the page offers each proof photo, none required, and says which required ones are missing
    assert re.findall(r'<input type="file" name="(\w+)"', page) == [
        "photo",
        "photo_marked_unit",
        "photo_receipt",
    ]
    assert page.count("We do not have this photo yet.") == 2  # label and marked unit
    # when: the form is sent without any photo
    empty = {"action": "upload", "note": "", "version": claim.version}
    page = client.post(f"/en/status/{token}/", empty).content.decode()
    assert "Please add at least one photo." in page
    # when: the receipt
    sent = {**empty, "photo_receipt": photo_upload("receipt.jpg", jpeg_bytes(color=(5, 5, 5)))}
    assert client.post(f"/en/status/{token}/", sent).status_code == 302
    # then
    claim.refresh_from_db()
    assert claim.status == S.RESUBMITTED
    assert [p.proof_item.code for p in claim.photos.all()] == ["receipt"]


def test_status_upload_refuses_a_photo_for_another_recalls_item(recall, power_banks):
    ProofItem.objects.create(recall=recall, code="cut_cord", label_en="The cut cord")
    claim, _token = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), **US_ADDRESS
    )
    claim_transition(
        claim_id=claim.pk, to_status=S.INFORMATION_REQUESTED, actor=SYSTEM, note="More please"
    )
    with pytest.raises(ClaimRefused):
        claim_consumer_upload(claim=claim, photos={"cut_cord": photo()})
    claim.refresh_from_db()
    assert claim.status == S.INFORMATION_REQUESTED
    assert not ClaimPhoto.objects.filter(claim=claim).exists()


def test_claim_pages_read_the_photos_labels_in_one_query_however_many(
    client, power_banks, reviewer, as_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    two = power_bank_claim(power_banks, serial_label=photo(), marked_unit=photo((9, 9, 9)))
    Claim.objects.filter(pk=two.pk).update(status=S.REJECTED)  # frees the serial
    three = power_bank_claim(
        power_banks, serial_label=photo(), marked_unit=photo((9, 9, 9)), receipt=photo((1, 1, 1))
    )
    as_user(reviewer)
    counts = []
    for claim in (two, three):
        client.get(f"/workspace/claims/{claim.reference}/")  # sessions and caches warmed
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
        counts.append(len(queries))
        assert page.count('class="photo-label"') == claim.photos.count()
    assert counts[0] == counts[1]


def test_status_page_files_the_label_photo_under_the_label_whatever_the_items_order(
    client, power_banks
):
    # given: a recall whose form asks for the marked unit first, and a claim asked for more
    power_banks.proof_items.filter(code="marked_unit").update(order=0)
    power_banks.proof_items.filter(code="serial_label").update(order=1)
    claim, token = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), **US_ADDRESS
    )
    claim_transition(
        claim_id=claim.pk, to_status=S.INFORMATION_REQUESTED, actor=SYSTEM, note="A sharper label"
    )
    claim.refresh_from_db()
    # when: the consumer sends a new label photo only
    sent = {"action": "upload", "note": "", "version": claim.version, "photo": photo_upload()}
    assert client.post(f"/en/status/{token}/", sent).status_code == 302
    # then: it is the label's photo
    assert [p.proof_item.code for p in claim.photos.all()] == ["serial_label"]


def test_status_page_shows_each_photos_example_when_staff_ask(client, power_banks):
    claim, token = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), **US_ADDRESS
    )
    claim_transition(
        claim_id=claim.pk, to_status=S.INFORMATION_REQUESTED, actor=SYSTEM, note="More please"
    )
    page = client.get(f"/en/status/{token}/").content.decode()
    marked = power_banks.proof_items.get(code="marked_unit")
    assert f'src="/recall-pictures/example/{marked.pk}/"' in page
    # the photos come before the serial and the message
    assert (
        page.index('name="photo_receipt"') < page.index('name="serial"') < page.index('name="note"')
    )
