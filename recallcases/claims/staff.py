"""Staff steps on claims that do more than a transition: shipping, bulk approval."""

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Claim, ClaimStatus, Shipment
from recallcases.claims.transitions import Actor, TransitionRefused, claim_transition
from recallcases.recalls.models import Remedy

# Carriers a shipping partner is likely to name, and the tracking page of each.
TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/details/{}",
    "Purolator": "https://www.purolator.com/en/shipping/tracker?pin={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


def tracking_url(*, carrier: str, tracking_number: str) -> str:
    template = TRACKING_URLS.get(carrier)
    return template.format(tracking_number) if template else ""


@transaction.atomic
def claim_ship(
    *,
    claim_id: int,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    remedy: str = Remedy.REPLACEMENT,
    expected_version: int | None = None,
) -> Claim:
    """Record what was issued for a claim and how it travels, and mark the claim shipped.

    The shipment and the transition happen together or not at all; a tracking number already
    recorded for another claim is refused.
    """
    # Carriers print tracking numbers in groups; "7023 2109" and "70232109" are one parcel.
    carrier, tracking_number = carrier.strip(), re.sub(r"\s+", "", tracking_number).upper()
    if not carrier or not tracking_number:
        raise TransitionRefused(_("Give the carrier and the tracking number."))
    offered = Claim.objects.filter(pk=claim_id).values_list("recall__remedies", flat=True).first()
    if remedy not in (offered or []):
        raise TransitionRefused(_("This recall does not offer that remedy."))
    claim = claim_transition(
        claim_id=claim_id,
        to_status=ClaimStatus.REPLACEMENT_SHIPPED,
        actor=actor,
        note=f"{carrier} {tracking_number}",
        expected_version=expected_version,
    )
    try:
        with transaction.atomic():
            Shipment.objects.create(
                claim=claim,
                remedy=remedy,
                carrier=carrier,
                tracking_number=tracking_number,
                recorded_by=actor.user,
            )
    except IntegrityError:
        raise TransitionRefused(
            _("This tracking number is already recorded for another claim.")
        ) from None
    return claim


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    # (reference, why) for each claim left as it was
    refused: list[tuple[str, str]] = field(default_factory=list)


def claims_approve(*, claim_ids: list[int], actor: Actor) -> BulkResult:
    """Approve the replacement of many verified claims; each succeeds or fails on its own."""
    result = BulkResult()
    for claim in Claim.objects.filter(pk__in=claim_ids).only("pk", "reference"):
        try:
            claim_transition(
                claim_id=claim.pk, to_status=ClaimStatus.REPLACEMENT_APPROVED, actor=actor
            )
        except TransitionRefused as refused:
            result.refused.append((claim.reference, str(refused.message)))
        else:
            result.done.append(claim.reference)
    return result
