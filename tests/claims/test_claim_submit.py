"""Filing a claim: all of it or nothing, one open claim per serial."""

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from recallcases.claims.models import Claim, ClaimPhoto, ClaimStatus
from recallcases.claims.selectors import claim_by_access_token
from recallcases.claims.services import ClaimRefused, claim_submit
from recallcases.claims.tokens import REFERENCE_ALPHABET, hash_access_token
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.core.photo_pipeline import process_photo
from tests.factories import consumer_details
from tests.images import jpeg_bytes

DETAILS = consumer_details()


def stored_files() -> set[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return {p for p in root.rglob("*") if p.is_file()}


def submit(recall, product, serial="A3102DMX10000042"):
    return claim_submit(
        recall=recall,
        product=product,
        serial_as_typed=serial,
        details=DETAILS,
        photo=process_photo(jpeg_bytes()),
    )


@pytest.mark.django_db
def test_claim_submit_saves_claim_event_and_photo(recall, speaker):
    # when
    submitted = submit(recall, speaker, serial="a3102-dmx1-0000-042")
    # then
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.serial == "A3102DMX10000042"
    assert claim.serial_as_typed == "a3102-dmx1-0000-042"
    assert claim.registry_product == speaker
    assert [e.to_status for e in claim.events.all()] == [ClaimStatus.SUBMITTED]
    photo = claim.photos.get()
    assert photo.kind == "serial_label"
    assert photo.image.storage.exists(photo.image.name)
    assert photo.thumbnail.storage.exists(photo.thumbnail.name)
    # The reference reads well over the phone; the token is only stored as its hash.
    assert set(claim.reference.replace("-", "")) <= set(REFERENCE_ALPHABET)
    assert submitted.access_token not in claim.access_token_hash
    assert claim.access_token_hash == hash_access_token(submitted.access_token)
    assert claim_by_access_token(token=submitted.access_token) == claim


@pytest.mark.django_db
def test_claim_submit_photo_names_are_random(recall, speaker):
    submit(recall, speaker)
    photo = ClaimPhoto.objects.get()
    assert photo.claim.reference not in photo.image.name
    assert "A3102" not in photo.image.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("serial", "message"),
    [
        ("A3102DMX10000501", "not part of the recall"),
        ("A3102DMX1000042", "16 characters"),
        ("A3102DMX1000004!", "exactly as it appears"),
    ],
)
def test_claim_submit_serial_out_of_scope_refused(recall, speaker, serial, message):
    before = stored_files()
    with pytest.raises(ClaimRefused, match=message) as refused:
        submit(recall, speaker, serial=serial)
    assert refused.value.field == "serial"
    assert not Claim.objects.exists()
    assert stored_files() == before


@pytest.mark.django_db
def test_claim_submit_second_claim_for_serial_refused_and_leaves_no_file(recall, speaker):
    submit(recall, speaker)
    before = stored_files()
    with pytest.raises(ClaimRefused, match="already open"):
        submit(recall, speaker, serial="A3102 DMX1 0000 042")
    assert Claim.objects.count() == 1
    assert stored_files() == before


@pytest.mark.django_db
def test_claim_submit_after_rejection_allowed(recall, speaker):
    first = submit(recall, speaker).claim
    claim_transition(claim_id=first.pk, to_status=ClaimStatus.REJECTED, actor=SYSTEM, note="Fake")
    second = submit(recall, speaker).claim
    assert second.pk != first.pk
    assert Claim.objects.exclude(status=ClaimStatus.REJECTED).get() == second


@pytest.mark.django_db
def test_claim_submit_product_mismatch_recorded_for_review(recall):
    # The consumer says PowerConf S3; the registry says the serial is a Soundcore speaker.
    powerconf = recall.products.get(model="A3302")
    claim = submit(recall, powerconf).claim
    assert claim.product == powerconf
    assert claim.registry_product.model == "A3102"


@pytest.mark.django_db(transaction=True)
def test_claim_submit_fifty_at_once_give_one_claim(postgres, recall, speaker):
    # given: fifty consumers (or one impatient one) submitting one serial at the same moment
    photo = process_photo(jpeg_bytes())
    files_before = stored_files()
    start = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one_submission():
        try:
            start.wait()
            claim_submit(
                recall=recall,
                product=speaker,
                serial_as_typed="A3102DMX10000042",
                details=DETAILS,
                photo=photo,
            )
            outcome = "claim"
        except ClaimRefused as refused:
            outcome = str(refused.message)
        except Exception as error:  # anything else would be a 500 for someone
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one_submission) for _ in range(50)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then
    assert outcomes.count("claim") == 1
    refusals = [o for o in outcomes if o != "claim"]
    assert len(refusals) == 49
    assert all("already open" in o for o in refusals), set(refusals)
    assert Claim.objects.count() == 1
    assert ClaimPhoto.objects.count() == 1
    # The 49 refused submissions left no photo file behind: one image and its thumbnail remain.
    assert len(stored_files() - files_before) == 2
