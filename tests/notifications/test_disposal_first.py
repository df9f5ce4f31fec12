"""Disposal first: where a recall wants proof of disposal before the remedy is issued (the power
bank recall), the approval is what asks for the proof, in the email and on the status page, and
the remedy cannot ship before the proof is accepted. The speaker recall ships first and asks after.
"""

import pytest

from recallcases.claims.models import ClaimStatus
from recallcases.claims.services import (
    ClaimRefused,
    claim_consumer_upload,
    claim_ship,
    consumer_upload_kind,
)
from recallcases.claims.transitions import SYSTEM, TransitionRefused, claim_transition
from recallcases.core.photo_pipeline import process_photo
from recallcases.notifications.emails import compose_claim_email, wants_disposal_proof
from recallcases.notifications.models import EmailKind as K
from recallcases.notifications.models import OutboundEmail
from tests.factories import OutboundEmailFactory, claim_with_link
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db

S = ClaimStatus
ASKS_FOR_PROOF = "send us a photo as proof"


@pytest.mark.parametrize(
    ("kind", "shipping_first", "disposal_first"),
    [
        (K.REPLACEMENT_APPROVED, False, True),
        (K.REPLACEMENT_SHIPPED, True, False),
        (K.DISPOSAL_REFUSED, True, True),
        (K.DISPOSAL_REMINDER, True, True),
        (K.VERIFIED, False, False),
        (K.DISPOSAL_CONFIRMED, False, False),
        (K.RECEIVED, False, False),
    ],
)
def test_which_emails_ask_for_disposal_proof_depends_on_the_recalls_order(
    kind, shipping_first, disposal_first
):
    assert wants_disposal_proof(kind=kind, disposal_first=False) is shipping_first
    assert wants_disposal_proof(kind=kind, disposal_first=True) is disposal_first


def approved_email(claim):
    return compose_claim_email(OutboundEmailFactory(kind=K.REPLACEMENT_APPROVED, claim=claim))


def test_replacement_approved_email_of_a_disposal_first_recall_asks_for_the_proof(power_banks):
    claim, _token = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), country="US", region="WA"
    )
    message = approved_email(claim)
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert ASKS_FOR_PROOF in text
        assert claim.disposal_code in text
        assert "the recalled power bank" in text
        assert "We will email you when it ships." not in text
    assert "We will ship it once we have accepted your proof" in message.body


def test_replacement_approved_email_of_a_shipping_first_recall_does_not(speaker):
    claim, _token = claim_with_link(product=speaker)
    message = approved_email(claim)
    assert ASKS_FOR_PROOF not in message.body
    assert claim.disposal_code not in message.body
    assert "We will email you when it ships." in message.body


def test_replacement_shipped_email_asks_for_proof_only_when_shipping_comes_first(
    speaker, power_banks
):
    speaker_claim, _ = claim_with_link(product=speaker)
    bank_claim, _ = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), country="US", region="WA"
    )
    for claim, asks in ((speaker_claim, True), (bank_claim, False)):
        email = OutboundEmailFactory(kind=K.REPLACEMENT_SHIPPED, claim=claim)
        assert (ASKS_FOR_PROOF in compose_claim_email(email).body) is asks


def test_disposal_first_claim_asks_for_proof_at_approval_and_ships_only_after_it(
    client, power_banks, fulfiller
):
    from recallcases.claims.transitions import Actor

    # given: a verified power bank claim
    claim, token = claim_with_link(
        recall=power_banks, product=power_banks.products.get(), country="US", region="WA"
    )
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    # when: the replacement is approved
    claim_transition(claim_id=claim.pk, to_status=S.REPLACEMENT_APPROVED, actor=SYSTEM)
    claim.refresh_from_db()
    # then: the approval's email asks for the proof, and so does the status page
    email = OutboundEmail.objects.get(claim=claim, kind=K.REPLACEMENT_APPROVED)
    assert ASKS_FOR_PROOF in compose_claim_email(email).body
    assert consumer_upload_kind(claim) == ("disposal", S.DISPOSAL_SUBMITTED)
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "Send your proof of disposal" in page
    assert claim.disposal_code in page
    # the replacement cannot ship before the proof is accepted
    with pytest.raises((TransitionRefused, ClaimRefused)):
        claim_ship(
            claim_id=claim.pk,
            actor=Actor.staff(fulfiller),
            carrier="UPS",
            tracking_number="1Z999",
        )
    # the proof sent and accepted: now it ships
    claim_consumer_upload(claim=claim, photo=process_photo(jpeg_bytes(color=(3, 3, 3))))
    claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_CONFIRMED, actor=SYSTEM)
    shipped = claim_ship(
        claim_id=claim.pk, actor=Actor.staff(fulfiller), carrier="UPS", tracking_number="1Z999"
    )
    assert shipped.status == S.REPLACEMENT_SHIPPED
    # and the shipping email asks for nothing more
    shipped_email = OutboundEmail.objects.get(claim=claim, kind=K.REPLACEMENT_SHIPPED)
    assert ASKS_FOR_PROOF not in compose_claim_email(shipped_email).body
