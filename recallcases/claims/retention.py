"""The retention schedule of claims: personal details and photos removed when their time is up.

A claim's personal details (name, email, phone, street address, city, postal code, order number,
purchase date, the address key derived from them, and the notes of its events) are removed
`Recall.claim_retention_months` after the claim ended; its photos are deleted
`Recall.claim_photo_retention_months` after. "Ended" is the moment the claim reached the status it
is in, when that status is one where its life is over (closed, rejected, withdrawn), read from its
events. A claim still open keeps everything: staff close an abandoned claim, and the clock starts.

What stays is what the regulators' figures and the recall's records need, none of it naming a
person: the recall, the products (claimed and per the registry), the serial (it identifies a
unit, not its owner: the registry and a reused serial are read by it), the country and the
province or state, the language, the status, the dates, the consent given, the shipments, and the
events (who moved the claim from which status to which, and when). The private status links stop
working: nothing is left for the consumer to read.

A separate module from `services.py` because it is its own idea: the claim's end, not its life.
"""

import logging
from datetime import datetime
from itertools import batched

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat, Right

from recallcases.claims.lifecycle import ENDED_STATUSES
from recallcases.claims.models import Claim, ClaimEvent, ClaimLink, ClaimPhoto, RemedyCode
from recallcases.core.retention import RetentionCounts, months_before
from recallcases.recalls.models import Recall

logger = logging.getLogger(__name__)

# The kinds of what is removed, as `retention_apply` reports them.
CLAIM_PERSONAL_DATA = "claims' personal data"
CLAIM_PHOTOS = "claim photos"


# Blanked by anonymisation; `access_token_hash` (unique) is replaced by a value no token hashes to.
PERSONAL_FIELDS = {
    "name": "",
    "email": "",
    "phone": "",
    "text_number": "",
    "text_opt_in_at": None,
    "address_line1": "",
    "address_line2": "",
    "city": "",
    "postal_code": "",
    "address_key": "",
    "order_number": "",
    "purchase_date": None,
}
CHUNK = 500


def claim_ended_at() -> Subquery:
    """When the outer query's claim reached its present status (its latest event to it)."""
    return Subquery(
        ClaimEvent.objects.filter(claim=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )


def _ended_before(*, recall: Recall, cutoff: datetime) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(recall=recall, status__in=ENDED_STATUSES)
        .annotate(ended_at=claim_ended_at())
        .filter(ended_at__lt=cutoff)
    )


def claims_due_for_anonymising(*, recall: Recall, now: datetime) -> QuerySet[Claim]:
    """The recall's claims whose personal details are due for removal at `now`."""
    cutoff = months_before(now, recall.claim_retention_months)
    return _ended_before(recall=recall, cutoff=cutoff).filter(anonymised_at__isnull=True)


def photos_due_for_removal(*, recall: Recall, now: datetime) -> QuerySet[ClaimPhoto]:
    """The recall's claim photos due for deletion at `now`."""
    cutoff = months_before(now, recall.claim_photo_retention_months)
    return ClaimPhoto.objects.filter(
        claim__in=_ended_before(recall=recall, cutoff=cutoff).values("pk")
    )


def claim_retention_apply(*, now: datetime, dry_run: bool = False) -> RetentionCounts:
    """Remove the personal details and delete the photos of the claims whose time is up.

    Returns how many claims were anonymised and photos deleted, per recall; with `dry_run`, how
    many would be, and changes nothing. Running it again at once changes nothing more.
    """
    counts: RetentionCounts = RetentionCounts()
    for recall in Recall.objects.order_by("pk"):
        photos = list(photos_due_for_removal(recall=recall, now=now).values_list("pk", flat=True))
        claims = list(
            claims_due_for_anonymising(recall=recall, now=now).values_list("pk", flat=True)
        )
        if dry_run:
            counts[CLAIM_PHOTOS, recall.pk] += len(photos)
            counts[CLAIM_PERSONAL_DATA, recall.pk] += len(claims)
            continue
        for chunk in batched(photos, CHUNK):
            counts[CLAIM_PHOTOS, recall.pk] += _photos_delete(photo_ids=chunk, now=now)
        for chunk in batched(claims, CHUNK):
            counts[CLAIM_PERSONAL_DATA, recall.pk] += _claims_anonymise(claim_ids=chunk, now=now)
    return counts


def _photos_delete(*, photo_ids: tuple, now: datetime) -> int:
    """Delete the files, then the rows: a file that cannot be deleted keeps its row for next time.

    Files first: were the rows deleted first and a file then refused, nothing would point at the
    file any more and the photo would stay in storage for good.
    """
    deleted: list = []
    for photo in ClaimPhoto.objects.filter(pk__in=photo_ids):
        try:
            for name in (photo.image.name, photo.thumbnail.name):
                if name:
                    default_storage.delete(name)
        except OSError:
            logger.exception("retention: could not delete the files of claim photo %s", photo.pk)
            continue
        deleted.append(photo)
    with transaction.atomic():
        ClaimPhoto.objects.filter(pk__in=[photo.pk for photo in deleted]).delete()
        Claim.objects.filter(
            pk__in={photo.claim_id for photo in deleted}, photos_removed_at__isnull=True
        ).update(photos_removed_at=now)
    return len(deleted)


@transaction.atomic
def _claims_anonymise(*, claim_ids: tuple, now: datetime) -> int:
    claims = Claim.objects.filter(
        pk__in=claim_ids, status__in=ENDED_STATUSES, anonymised_at__isnull=True
    )
    ids = list(claims.select_for_update().values_list("pk", flat=True))
    # The events stay; only their free-text notes go (the trigger allows exactly this change).
    ClaimEvent.objects.filter(claim_id__in=ids).exclude(note="").update(note="")
    ClaimLink.objects.filter(claim_id__in=ids).delete()
    # A gift card's or voucher's code is the consumer's money: only its last four stay, as staff
    # saw them (unique by the code's row).
    RemedyCode.objects.filter(claim_id__in=ids).exclude(code__startswith="removed:").update(
        code=Concat(Value("removed:"), Cast("pk", CharField()), Value(":"), Right("code", 4))
    )
    return Claim.objects.filter(pk__in=ids).update(
        **PERSONAL_FIELDS,
        # Unique, and never a SHA-256 hex digest: no status link opens the claim any more.
        access_token_hash=Concat(Value("removed:"), Cast("pk", CharField())),
        anonymised_at=now,
    )
