"""A call-centre agent's steps: finding a caller's claim, filing one by phone, logging the call.

Agents see a claim's contact details only once they open it, never its photos; every look-up and
every claim opened leaves an audit row (who, when, which claims), never what was searched for.
"""

import re

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.models import (
    CallLog,
    CallOutcome,
    CallReason,
    Channel,
    Claim,
    ClaimStatus,
)
from recallcases.claims.services import (
    ClaimRefused,
    ConsumerDetails,
    SubmittedClaim,
    claim_submit,
)
from recallcases.claims.tokens import normalise_reference
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.recalls.models import Product, Recall

# What people type between a phone number's digits (PhoneField keeps the number as typed).
PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "+", "/")
# How many claims a look-up shows at most: a caller has one or two.
FOUND_AT_MOST = 20

# Written on the claim for its consumer (in their language): the claim waits for them.
PHOTOS_WANTED = _(
    "We took your claim on the phone. To go on, we need the photos this recall asks for, starting "
    "with the label that shows the serial number: add them from your claim's page."
)


class LookUp:
    """What an agent looks a claim up by."""

    REFERENCE = "reference"
    PHONE = "phone"
    EMAIL = "email"
    ALL = (REFERENCE, PHONE, EMAIL)


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


def claims_look_up(*, agent, by: str, value: str) -> list[Claim]:
    """The claims whose reference, phone or email is `value` (their reference and status only),
    and an audit row naming which claims the agent found; never the value looked up."""
    value = value.strip()
    claims = Claim.objects.select_related("recall").only(
        "pk",
        "reference",
        "status",
        "channel",
        "created_at",
        "recall__title_en",
        "recall__title_fr",
        "recall__slug",
    )
    if by == LookUp.REFERENCE:
        claims = claims.filter(reference=normalise_reference(value))
    elif by == LookUp.EMAIL:
        claims = claims.filter(email=value.lower())
    elif by == LookUp.PHONE:
        digits = _digits(value)
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) < 10:
            claims = claims.none()
        else:
            # Phones are kept as typed ("(514) 555-0199"): compared without their punctuation.
            digits_only = F("phone")
            for mark in PHONE_PUNCTUATION:
                digits_only = Replace(digits_only, Value(mark), Value(""))
            claims = claims.annotate(phone_digits=digits_only).filter(phone_digits__endswith=digits)
    else:
        raise ValueError(f"unknown look-up {by!r}")
    found = list(
        claims.exclude(anonymised_at__isnull=False).order_by("-created_at")[:FOUND_AT_MOST]
    )
    audit_record(
        actor=agent,
        action=AuditAction.CALL_SEARCH,
        subject=None,
        subject_label=", ".join(claim.reference for claim in found) or "—",
        after={"by": by, "found": [claim.reference for claim in found]},
    )
    return found


def claim_open_for_call(*, agent, reference: str) -> Claim:
    """The claim an agent opens for a caller, contact details included; audited. Raises
    Claim.DoesNotExist."""
    claim = Claim.objects.select_related("recall", "product").get(
        reference=normalise_reference(reference)
    )
    audit_record(
        actor=agent,
        action=AuditAction.CALL_CLAIM_OPEN,
        subject=claim,
        subject_label=claim.reference,
        recall_id=claim.recall_id,
        claim_id=claim.pk,
    )
    return claim


@transaction.atomic
def call_log_record(
    *, agent, recall: Recall, reason: str, outcome: str, claim: Claim | None = None
) -> CallLog:
    """Log one call: why the caller called and how it ended, about a claim or not."""
    if claim is not None and claim.recall_id != recall.pk:
        raise ValueError("the claim is of another recall")
    call = CallLog.objects.create(
        recall=recall, claim=claim, agent=agent, reason=reason, outcome=outcome
    )
    if claim is not None:
        # On the claim's staff timeline, beside its steps.
        audit_record(
            actor=agent,
            action=AuditAction.CALL_LOG,
            subject=call,
            subject_label=claim.reference,
            recall_id=recall.pk,
            claim_id=claim.pk,
            after={"reason": reason, "outcome": outcome},
        )
    return call


@transaction.atomic
def claim_submit_by_phone(
    *,
    recall: Recall,
    product: Product,
    serial_as_typed: str,
    details: ConsumerDetails,
    agent,
    text_opt_in: bool = False,
    remedy: str = "",
) -> SubmittedClaim:
    """File a claim for a caller: the claim, its first event naming the agent, the step that
    asks the consumer for the photos (its email carries the link), the call and the audit row,
    in one transaction. Raises ClaimRefused as claim_submit does (the serial, a duplicate).

    The claim waits for its photos as any claim asked for more information does: the consumer's
    status page takes them, and the reviewer sees the claim once they arrive (resubmitted).
    """
    submitted = claim_submit(
        recall=recall,
        product=product,
        serial_as_typed=serial_as_typed,
        details=details,
        photo=None,
        channel=Channel.PHONE,
        agent=agent,
        text_opt_in=text_opt_in,
        remedy=remedy,
    )
    claim = submitted.claim
    with translation.override(claim.language):
        note = str(PHOTOS_WANTED)
    claim = claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.INFORMATION_REQUESTED, actor=SYSTEM, note=note
    )
    call_log_record(
        agent=agent,
        recall=recall,
        claim=claim,
        reason=CallReason.NEW_CLAIM,
        outcome=CallOutcome.CLAIM_FILED,
    )
    audit_record(
        actor=agent,
        action=AuditAction.CLAIM_BY_PHONE,
        subject=claim,
        subject_label=claim.reference,
        recall_id=recall.pk,
        claim_id=claim.pk,
        after={"texts": bool(claim.text_opt_in_at)},
    )
    return SubmittedClaim(claim=claim, access_token=submitted.access_token)


__all__ = [
    "FOUND_AT_MOST",
    "ClaimRefused",
    "LookUp",
    "call_log_record",
    "claim_open_for_call",
    "claim_submit_by_phone",
    "claims_look_up",
]
