"""Demo claims for a newcomer's queue: filed through claim_submit like any other claim."""

import io
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest import mock

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from recallcases.claims.lifecycle import ClaimStatus as S
from recallcases.claims.models import RELEASED_STATUSES, Claim, ClaimStatus
from recallcases.claims.services import ClaimRefused, ConsumerDetails, claim_ship, claim_submit
from recallcases.claims.tokens import hash_access_token, new_access_token
from recallcases.claims.transitions import SYSTEM, Actor, claim_transition
from recallcases.core.photo_pipeline import process_photo
from recallcases.recalls.models import Issue, Recall

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


# --- A recall under way: a few thousand demo claims over months (`manage.py demo_claims`) ---------

# Where the demo's claims end up, of every 100 that had time to get there (recent claims stop
# earlier on their way: their next step is still in the future).
DEMO_ENDS = {
    S.SUBMITTED: 4,
    S.INFORMATION_REQUESTED: 3,
    S.RESUBMITTED: 2,
    S.VERIFIED: 4,
    S.REPLACEMENT_APPROVED: 6,
    S.REPLACEMENT_SHIPPED: 18,
    S.DISPOSAL_SUBMITTED: 6,
    S.DISPOSAL_CONFIRMED: 12,
    S.CLOSED: 35,
    S.REJECTED: 6,
    S.WITHDRAWN: 4,
}
_SHIPPED = [S.VERIFIED, S.REPLACEMENT_APPROVED, S.REPLACEMENT_SHIPPED]
# The steps after filing that lead to each status, as the lifecycle takes them (shipping first).
DEMO_PATHS = {
    S.SUBMITTED: [],
    S.INFORMATION_REQUESTED: [S.INFORMATION_REQUESTED],
    S.RESUBMITTED: [S.INFORMATION_REQUESTED, S.RESUBMITTED],
    S.VERIFIED: [S.VERIFIED],
    S.REPLACEMENT_APPROVED: _SHIPPED[:2],
    S.REPLACEMENT_SHIPPED: _SHIPPED,
    S.DISPOSAL_SUBMITTED: [*_SHIPPED, S.DISPOSAL_SUBMITTED],
    S.DISPOSAL_CONFIRMED: [*_SHIPPED, S.DISPOSAL_SUBMITTED, S.DISPOSAL_CONFIRMED],
    S.CLOSED: [*_SHIPPED, S.DISPOSAL_SUBMITTED, S.DISPOSAL_CONFIRMED, S.CLOSED],
    S.REJECTED: [S.REJECTED],
    S.WITHDRAWN: [S.WITHDRAWN],
}
CONSUMER_STEPS = {S.RESUBMITTED, S.DISPOSAL_SUBMITTED, S.WITHDRAWN}
# Obviously made up: "<first name> Example", at example.com.
DEMO_FIRST_NAMES = (
    "Alex", "Blair", "Casey", "Dana", "Eden", "Frankie", "Gale", "Harper", "Indy", "Jules",
    "Kai", "Logan", "Morgan", "Noa", "Oakley", "Parker", "Quinn", "Riley", "Sasha", "Taylor",
)  # fmt: skip
DEMO_PLACES = (
    ("US", "WA", "98101", "Seattle"),
    ("US", "TX", "73301", "Austin"),
    ("US", "NY", "10001", "New York"),
    ("US", "CA", "94105", "San Francisco"),
    ("US", "IL", "60601", "Chicago"),
    ("CA", "ON", "K1A 0B1", "Ottawa"),
    ("CA", "QC", "H3A 3G4", "Montréal"),
)
# The demo claims' serials: a demo registry range per product, apart from the ranges a newcomer
# types (DEMO_RANGES), numbered from here.
DEMO_CLAIM_SERIAL_FROM = 50_000_001
DEMO_CLAIM_SERIALS = 25_000  # per product


class NotADemoDatabase(Exception):
    """The database holds a real registry: demo claims are never added to it."""


@dataclass(frozen=True)
class DemoSpread:
    created: list[int]  # the ids of the claims filed by this run
    already: int


def _demo_serial(model: str, n: int) -> str:
    return f"{model}DMX{DEMO_CLAIM_SERIAL_FROM + n:08d}"


@contextmanager
def _demo_clock(moment: datetime):
    """The time the services and `auto_now_add` read, while a past step is replayed."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def demo_claims_spread(
    *, recall: Recall, count: int, staff: list, seed: int = 2024, now: datetime | None = None
) -> DemoSpread:
    """File `count` demo claims of `recall` over the months since its announcement, each taken
    along the lifecycle by `staff` (Actors, the first allowed for each step) to a status drawn
    from DEMO_ENDS, each step a few days after the last and none in the future.

    Every claim goes through claim_submit, claim_transition and claim_ship at its moment (the
    clock is set back), so its events, emails and report dates are those of a real claim (the
    caller decides where the emails go). Idempotent: claims already filed are kept and only
    the missing ones are added (the same ones for the same seed). Refuses a database holding a
    registry entry that is not demo data.
    """
    from recallcases.claims.transitions import CONSUMER, allowed_next_statuses, claim_transition
    from recallcases.recalls.models import RegistryEntry
    from recallcases.recalls.services import registry_import

    if RegistryEntry.objects.filter(is_demo=False).exists():
        raise NotADemoDatabase("This database holds a real serial registry: no demo claims here.")
    products = list(recall.products.order_by("model"))
    if count > DEMO_CLAIM_SERIALS * len(products):
        raise ValueError(f"At most {DEMO_CLAIM_SERIALS * len(products)} demo claims.")
    for product in products:
        first = _demo_serial(product.model, 0)
        last = _demo_serial(product.model, DEMO_CLAIM_SERIALS - 1)
        if not RegistryEntry.objects.filter(
            recall=recall, product=product, prefix=first[:-8], first_number=DEMO_CLAIM_SERIAL_FROM
        ).exists():
            registry_import(
                recall=recall,
                rows=[{"model": product.model, "first_serial": first, "last_serial": last}],
                is_demo=True,
            )
    rng = random.Random(seed)  # noqa: S311 - made-up demo data, nothing secret
    now = now or timezone.now()
    start = timezone.make_aware(datetime.combine(recall.announced_on, datetime.min.time()))
    span = (now - start).total_seconds()
    ends = [status for status, share in DEMO_ENDS.items() for _ in range(share)]
    # A remedy the recall offers and ships (the demo's claims go out by carrier), one per claim.
    remedies = [
        remedy
        for remedy in recall.offered_remedies
        if recall.remedy_offer(remedy).issued_by == Issue.SHIPMENT
    ] or [recall.first_remedy]
    # Every proof photo the recall asks for (the serial label where it lists none).
    proof_codes = [item.code for item in recall.proof_items.all()]
    created: list[int] = []
    already = 0
    # One commit per hundred claims, not one per step: a few thousand claims in minutes.
    for chunk in range(0, count, 100):
        with transaction.atomic():
            for n in range(chunk, min(chunk + 100, count)):
                product = products[n % len(products)]
                serial = _demo_serial(product.model, n // len(products))
                # Drawn for every claim, filed or not, so a second run draws the same.
                first_name = rng.choice(DEMO_FIRST_NAMES)
                country, region, postal, city = rng.choice(DEMO_PLACES)
                # Many claims soon after the announcement, fewer as months pass.
                filed_at = start + timedelta(seconds=span * rng.random() ** 2.2)
                end = rng.choice(ends)
                remedy = rng.choice(remedies) if len(remedies) > 1 else remedies[0]
                gaps = [
                    timedelta(days=rng.uniform(1, 12), hours=rng.uniform(0, 8)) for _ in range(6)
                ]
                if Claim.objects.filter(recall=recall, serial=serial).exists():
                    already += 1
                    continue
                photo = process_photo(label_photo(serial))
                with transaction.atomic(), _demo_clock(filed_at):
                    claim = claim_submit(
                        recall=recall,
                        product=product,
                        serial_as_typed=serial,
                        details=ConsumerDetails(
                            name=f"{first_name} Example",
                            email=f"{first_name.lower()}.example{n}@example.com",
                            phone="555-555-0100",
                            address_line1=f"{100 + n} Example Street",
                            address_line2="",
                            city=city,
                            region=region,
                            postal_code=postal,
                            country=country,
                            language="fr-ca" if region == "QC" else "en",
                        ),
                        photo=None if proof_codes else photo,
                        photos=dict.fromkeys(proof_codes, photo) or None,
                        remedy=remedy,
                    ).claim
                created.append(claim.pk)
                moment = filed_at
                for to_status, gap in zip(DEMO_PATHS[end], gaps, strict=False):
                    moment += gap
                    if moment >= now:
                        break
                    claim.refresh_from_db(fields=["status", "version"])
                    if to_status in CONSUMER_STEPS:
                        actor = CONSUMER
                    else:
                        actor = next(
                            (
                                a
                                for a in staff
                                if to_status in allowed_next_statuses(claim=claim, actor=a)
                            ),
                            None,
                        )
                        if actor is None:
                            break
                    with transaction.atomic(), _demo_clock(moment):
                        if to_status == S.REPLACEMENT_SHIPPED:
                            claim_ship(
                                claim_id=claim.pk,
                                actor=actor,
                                carrier="UPS",
                                tracking_number=f"1ZDEMO{claim.pk:010d}",
                            )
                        else:
                            claim_transition(
                                claim_id=claim.pk,
                                to_status=to_status,
                                actor=actor,
                                note=_("Demo: a made-up claim moving along its life."),
                            )
    return DemoSpread(created=created, already=already)
