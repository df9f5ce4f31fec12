"""factory_boy factories for the suite's own data."""

import datetime
import uuid

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from recallcases.claims.models import Claim, ClaimEvent
from recallcases.claims.tokens import hash_access_token, new_access_token, new_reference
from recallcases.notices.models import NoticeEmail
from recallcases.notifications.models import OutboundEmail
from recallcases.recalls.models import Product, Recall


class RecallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recall

    slug = factory.Sequence(lambda n: f"recall-{n}")
    title_en = factory.Sequence(lambda n: f"Test recall {n}")
    company = "Example Co."
    announced_on = datetime.date(2024, 12, 5)
    units_affected = 1000
    countries = ["US", "CA"]
    remedies = ["replacement"]
    hazard_en = "It can overheat."
    remedy_en = "A free replacement."
    what_to_do_en = "Stop using it."
    disposal_en = "Take it to a battery drop-off."
    serial_location_en = "Under the unit."


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    recall = factory.SubFactory(RecallFactory)
    name_en = factory.Sequence(lambda n: f"Speaker {n}")
    model = factory.Sequence(lambda n: f"B{n:04d}")
    model_numbers = factory.LazyAttribute(lambda p: [f"{p.model}011"])


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim with its first event; use `claim_with_link` when the test needs the status link."""

    class Meta:
        model = Claim
        skip_postgeneration_save = True

    recall = factory.LazyAttribute(lambda c: c.product.recall)
    product = factory.SubFactory(ProductFactory)
    reference = factory.LazyFunction(new_reference)
    access_token_hash = factory.LazyFunction(lambda: hash_access_token(new_access_token()))
    serial = factory.Sequence(lambda n: f"A3102DMX{10000001 + n:08d}")
    serial_as_typed = factory.LazyAttribute(lambda c: c.serial)
    name = "Alex Tremblay"
    email = factory.Sequence(lambda n: f"consumer{n}@example.com")
    phone = "613-555-0100"
    address_line1 = "24 Sussex Drive"
    city = "Ottawa"
    region = "ON"
    postal_code = "K1A 0B1"
    country = "CA"
    language = "en"
    consented_at = factory.LazyFunction(timezone.now)
    privacy_notice_version = "test"

    @factory.post_generation
    def first_event(claim, create, extracted, **kwargs):
        if create:
            ClaimEvent.objects.create(claim=claim, actor_kind="consumer", to_status=claim.status)


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    """An outbox row at any point of its life (sent, failed...), for tests that need one as it
    stands. The application writes rows only through notifications.services.outbox_write."""

    class Meta:
        model = OutboundEmail

    kind = "received"
    dedupe_key = factory.Sequence(lambda n: f"test-email:{n}")
    message_id = factory.LazyAttribute(lambda e: f"<{e.dedupe_key}@recallcases.test>")
    next_attempt_at = factory.LazyFunction(timezone.now)


def notice_email_for(purchaser, **fields) -> OutboundEmail:
    """An outbox row of a recall notice (or, with `kind`, a reminder) to `purchaser`."""
    fields.setdefault("kind", "recall_notice")
    fields.setdefault("recipient", purchaser.email)
    email = OutboundEmailFactory(**fields)
    NoticeEmail.objects.create(email=email, purchaser=purchaser)
    return email


def claim_with_link(**fields) -> tuple[Claim, str]:
    """A claim and the secret of its private status link."""
    token = new_access_token()
    return ClaimFactory(access_token_hash=hash_access_token(token), **fields), token


def staff_user(*permissions: str, username: str | None = None):
    """A staff account holding the given permissions ("claims.verify_claim", ...)."""
    user = get_user_model().objects.create_user(
        username=username or f"staff-{uuid.uuid4().hex[:12]}",
        password="a-long-test-password",
        is_staff=True,
    )
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # fresh: no stale permission cache


def add_photo(claim: Claim, *, kind: str = "serial_label", content: bytes | None = None):
    """Store a photo for a claim as the upload pipeline would (re-encoded, random name)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from recallcases.claims.models import ClaimPhoto, _photo_name
    from recallcases.core.photo_pipeline import process_photo
    from tests.images import jpeg_bytes

    photo = process_photo(content or jpeg_bytes())
    return ClaimPhoto.objects.create(
        claim=claim,
        kind=kind,
        image=default_storage.save(_photo_name(kind), ContentFile(photo.image)),
        thumbnail=default_storage.save(_photo_name(kind), ContentFile(photo.thumbnail)),
        width=photo.width,
        height=photo.height,
        source_format=photo.source_format,
        source_sha256=photo.source_sha256,
    )


def consumer_details(**overrides):
    """The details a consumer types in the claim form (a Montréal address by default)."""
    from recallcases.claims.services import ConsumerDetails

    fields = {
        "name": "Camille Roy",
        "email": "camille@example.ca",
        "phone": "514-555-0199",
        "address_line1": "1000 rue Sherbrooke Ouest",
        "address_line2": "",
        "city": "Montréal",
        "region": "QC",
        "postal_code": "H3A 3G4",
        "country": "CA",
        "language": "fr-ca",
    }
    return ConsumerDetails(**{**fields, **overrides})
