"""Demo claims for a newcomer's queue: filed through claim_submit like any other claim."""

import io

from PIL import Image, ImageDraw

from recallcases.claims.models import RELEASED_STATUSES, Claim, ClaimStatus
from recallcases.claims.services import ClaimRefused, ConsumerDetails, claim_ship, claim_submit
from recallcases.claims.tokens import hash_access_token, new_access_token
from recallcases.claims.transitions import SYSTEM, Actor, claim_transition
from recallcases.core.photo_pipeline import process_photo
from recallcases.recalls.models import Recall

DEMO_CLAIMS = [
    ("A3102", "A3102DMX10000101", "Jordan Smith", "jordan@example.com", "US", "WA", "98101",
     "Seattle", "1200 Pine St", "en"),
    ("A3302", "A3302DMX20000102", "Camille Roy", "camille@example.com", "CA", "QC", "H3A 3G4",
     "Montréal", "1000 rue Sherbrooke Ouest", "fr-ca"),
    ("A3102", "A3102DMX10000103", "Sam Lee", "sam@example.com", "CA", "ON", "K1A 0B1",
     "Ottawa", "24 Sussex Drive", "en"),
]  # fmt: skip


def label_photo(serial: str) -> bytes:
    """A made-up photo of a serial label: the serial in black on a grey sticker."""
    image = Image.new("RGB", (960, 540), (214, 214, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 170, 840, 370), fill=(245, 245, 240), outline=(40, 40, 40), width=4)
    draw.text((160, 215), "MODEL " + serial[:5], fill=(20, 20, 20), font_size=44)
    draw.text((160, 285), "SN " + serial, fill=(20, 20, 20), font_size=44)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# The demo claim shipped at once, so that its status page shows the carrier's link and the dates.
DEMO_SHIPPED_SERIAL = DEMO_CLAIMS[0][1]
DEMO_TRACKING = ("UPS", "1Z999AA10123456784")


def demo_claim_ship(*, recall: Recall, shipper) -> None:
    """Verify, approve and ship the first demo claim (once): `shipper` records the shipment."""
    claim = Claim.objects.filter(
        recall=recall, serial=DEMO_SHIPPED_SERIAL, status=ClaimStatus.SUBMITTED
    ).first()
    if claim is None or claim.shipments.exists():
        return
    claim_transition(claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=SYSTEM)
    claim_transition(claim_id=claim.pk, to_status=ClaimStatus.REPLACEMENT_APPROVED, actor=SYSTEM)
    carrier, number = DEMO_TRACKING
    claim_ship(
        claim_id=claim.pk, actor=Actor.staff(shipper), carrier=carrier, tracking_number=number
    )


def demo_claims_load(*, recall: Recall) -> list[tuple[str, str]]:
    """File the demo claims not filed yet; return (reference, status-link token) of each.

    A real claim's link exists only once, at filing. Demo claims get a new link on every run so
    that a newcomer can always play the consumer's part; their old links stop working.
    """
    for model, serial, name, email, country, region, postal, city, street, lang in DEMO_CLAIMS:
        if Claim.objects.filter(recall=recall, serial=serial).exists():
            continue
        try:
            claim_submit(
                recall=recall,
                product=recall.products.get(model=model),
                serial_as_typed=serial,
                details=ConsumerDetails(
                    name=name,
                    email=email,
                    phone="555-555-0100",
                    address_line1=street,
                    address_line2="",
                    city=city,
                    region=region,
                    postal_code=postal,
                    country=country,
                    language=lang,
                ),
                photo=process_photo(label_photo(serial)),
            )
        except ClaimRefused:
            continue
    links = []
    demo = Claim.objects.filter(recall=recall, serial__in=[c[1] for c in DEMO_CLAIMS])
    for claim in demo.exclude(status__in=RELEASED_STATUSES).order_by("created_at"):
        token = new_access_token()
        Claim.objects.filter(pk=claim.pk).update(access_token_hash=hash_access_token(token))
        links.append((claim.reference, token))
    return links
