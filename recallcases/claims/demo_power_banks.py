"""The power bank recall's demo claim: filed in Spanish through claim_submit, then shipped.

The second demo recall asks for its proof of disposal before the replacement ships, so the claim
walks the whole way: verified, approved, disposal proof sent and accepted, shipped by UPS. Its
status page shows the carrier's link and the promised dates in English and Spanish.
"""

import io

from PIL import Image, ImageDraw

from recallcases.claims.demo import label_photo
from recallcases.claims.models import RELEASED_STATUSES, Claim, ClaimStatus
from recallcases.claims.services import (
    ClaimRefused,
    ConsumerDetails,
    claim_consumer_upload,
    claim_ship,
    claim_submit,
)
from recallcases.claims.tokens import hash_access_token, new_access_token
from recallcases.claims.transitions import SYSTEM, Actor, claim_transition
from recallcases.core.photo_pipeline import process_photo
from recallcases.recalls.models import Recall

POWER_BANK_SHIPPED_SERIAL = "A1263DMX000101"
POWER_BANK_TRACKING = ("UPS", "1Z999AA10123456795")
POWER_BANK_DETAILS = ConsumerDetails(
    name="Lucía Hernández",
    email="lucia@example.com",
    phone="555-555-0100",
    address_line1="500 E Cesar Chavez St",
    address_line2="",
    city="Austin",
    region="TX",
    postal_code="78701",
    country="US",
    language="es-us",
)


def marked_unit_photo() -> bytes:
    """A made-up photo of a power bank marked "recalled" in marker."""
    image = Image.new("RGB", (960, 540), (200, 204, 210))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((200, 140, 760, 400), radius=40, fill=(30, 30, 34))
    draw.text((260, 220), "RECALLED", fill=(250, 250, 250), font_size=64)
    draw.text((260, 310), "DEMO", fill=(250, 250, 250), font_size=40)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def demo_power_bank_claim_load(*, recall: Recall, shipper) -> tuple[str, str] | None:
    """File and ship the power bank demo claim (once); return its (reference, status-link token).

    As with the speaker's demo claims, the link is new on every run; None once it is released.
    """
    if not Claim.objects.filter(recall=recall, serial=POWER_BANK_SHIPPED_SERIAL).exists():
        try:
            claim = claim_submit(
                recall=recall,
                product=recall.products.get(model=POWER_BANK_SHIPPED_SERIAL[:5]),
                serial_as_typed=POWER_BANK_SHIPPED_SERIAL,
                details=POWER_BANK_DETAILS,
                photos={
                    "serial_label": process_photo(label_photo(POWER_BANK_SHIPPED_SERIAL)),
                    "marked_unit": process_photo(marked_unit_photo()),
                },
                remedy="replacement",
            ).claim
        except ClaimRefused:
            return None
        claim_transition(claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=SYSTEM)
        claim_transition(
            claim_id=claim.pk, to_status=ClaimStatus.REPLACEMENT_APPROVED, actor=SYSTEM
        )
        claim_consumer_upload(
            claim=Claim.objects.get(pk=claim.pk), photo=process_photo(marked_unit_photo())
        )
        claim_transition(claim_id=claim.pk, to_status=ClaimStatus.DISPOSAL_CONFIRMED, actor=SYSTEM)
        carrier, number = POWER_BANK_TRACKING
        claim_ship(
            claim_id=claim.pk, actor=Actor.staff(shipper), carrier=carrier, tracking_number=number
        )
    claim = (
        Claim.objects.filter(recall=recall, serial=POWER_BANK_SHIPPED_SERIAL)
        .exclude(status__in=RELEASED_STATUSES)
        .first()
    )
    if claim is None:
        return None
    token = new_access_token()
    Claim.objects.filter(pk=claim.pk).update(access_token_hash=hash_access_token(token))
    return claim.reference, token
