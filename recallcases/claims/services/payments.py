"""Refunds: the claims to pay as a CSV export for the payments team, and their confirmations back.

A refund claim that waits for fulfilment is in the export (amount, currency, payee, reference).
The payments team pays it and sends back a CSV of confirmations (reference, payment_reference,
amount, currency); each row goes through `claim_pay`, which records the payment and marks the
claim's remedy issued, as the tracking import does for shipments (and with its report).
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.lifecycle import Waits, waiting_for
from recallcases.claims.models import Claim, ClaimStatus, Shipment
from recallcases.claims.services.tracking import (
    ImportRow,
    TrackingImportReport,
    _lines,
    claims_import_apply,
    import_row,
)
from recallcases.claims.tokens import normalise_reference
from recallcases.claims.transitions import Actor, TransitionRefused, claim_transition
from recallcases.core.csv_files import CsvColumn, CsvReader, csv_lines
from recallcases.recalls.models import ISSUED_BY, Issue

REFUND_REMEDIES = tuple(str(r) for r, issue in ISSUED_BY.items() if issue == Issue.PAYMENT)
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_COLUMNS = (
    CsvColumn("reference", required=True),
    CsvColumn("payment_reference", required=True),
    CsvColumn("amount", required=True),
    CsvColumn("currency", required=True),
)
PAYMENT_REFERENCE_MAX_LENGTH = Shipment._meta.get_field("tracking_number").max_length
EXPORT_HEADER = ("reference", "payee", "email", "amount", "currency")
IMPORT_HELP = gettext_lazy(
    "Columns: reference, payment_reference, amount and currency, with a header line; at most "
    "5,000 rows. The amount and currency must be the refund's."
)


def claims_to_pay() -> QuerySet[Claim]:
    """Refund claims approved (and, where disposal comes first, confirmed), oldest first."""
    return (
        Claim.objects.filter(waiting_for(Waits.FULFILMENT), remedy__in=REFUND_REMEDIES)
        .select_related("recall")
        .only("pk", "reference", "name", "email", "remedy", "updated_at", "recall__remedies")
        .order_by("updated_at", "pk")
    )


def refunds_csv(*, claims: QuerySet[Claim]) -> Iterator[str]:
    """The payments export: one line per claim, with the amount and currency of its offer."""

    def rows():
        for claim in claims.iterator(chunk_size=2000):
            offer = claim.recall.remedy_offer(claim.remedy)
            yield (claim.reference, claim.name, claim.email, offer.value, offer.currency)

    return csv_lines(header=EXPORT_HEADER, rows=rows())


@transaction.atomic
def claim_pay(
    *,
    claim_id: int,
    actor: Actor,
    payment_reference: str,
    amount: Decimal,
    currency: str,
) -> Claim:
    """Record a refund's payment and mark the claim's remedy issued; TransitionRefused if the
    claim is not a refund waiting for it, or the amount or currency are not its refund's."""
    payment_reference = payment_reference.strip()
    if not payment_reference:
        raise TransitionRefused(_("Give the payment reference."))
    claim = Claim.objects.select_related("recall").get(pk=claim_id)
    if claim.remedy not in REFUND_REMEDIES:
        raise TransitionRefused(_("This claim's remedy is not a refund."))
    offer = claim.recall.remedy_offer(claim.remedy)
    if offer.amount != amount or offer.currency != currency:
        raise TransitionRefused(
            _("The refund of this claim is %(amount)s %(currency)s.")
            % {"amount": offer.value, "currency": offer.currency}
        )
    claim = claim_transition(
        claim_id=claim_id,
        to_status=ClaimStatus.REPLACEMENT_SHIPPED,
        actor=actor,
        note=payment_reference,
    )
    try:
        with transaction.atomic():
            payment = Shipment.objects.create(
                claim=claim,
                remedy=claim.remedy,
                tracking_number=payment_reference,
                recorded_by=actor.user,
            )
    except IntegrityError:
        raise TransitionRefused(
            _("This payment reference is already recorded for another claim.")
        ) from None
    audit_record(
        actor=actor.user,
        actor_kind=actor.kind,
        action=AuditAction.PAYMENT_RECORD,
        subject=payment,
        subject_label=claim.reference,
        recall_id=claim.recall_id,
        claim_id=claim.pk,
        after={
            "payment_reference": payment_reference,
            "amount": offer.value,
            "currency": offer.currency,
        },
    )
    return claim


@dataclass
class _Row:
    line: int
    reference: str
    payment_reference: str
    amount: str
    currency: str


_AMOUNT = re.compile(r"\d{1,7}(\.\d{1,2})?")


def payments_import(
    *, file, actor: Actor, apply_good_rows: bool, file_name: str = ""
) -> TrackingImportReport:
    """Record the payments a confirmations CSV lists, row by row through `claim_pay`, with the
    tracking import's report and its choice: apply nothing if a row is refused, or the good rows.
    """
    reader = CsvReader(
        file, columns=IMPORT_COLUMNS, max_bytes=IMPORT_MAX_BYTES, max_rows=IMPORT_MAX_ROWS
    )
    rows = [
        _Row(
            line=line,
            reference=normalise_reference(reference),
            payment_reference=payment.strip().upper(),
            amount=amount.strip(),
            currency=currency.strip().upper(),
        )
        for line, (reference, payment, amount, currency) in reader
    ]
    claim_ids = dict(
        Claim.objects.filter(reference__in={row.reference for row in rows}).values_list(
            "reference", "pk"
        )
    )
    clashes = _clashes(rows)
    return claims_import_apply(
        rows=rows,
        apply_row=lambda row: _row_pay(
            row=row, claim_ids=claim_ids, clash=clashes.get(row.line), actor=actor
        ),
        apply_good_rows=apply_good_rows,
        actor=actor,
        action=AuditAction.PAYMENTS_IMPORT,
        file_label=file_name or getattr(file, "name", "") or "",
    )


def _row_pay(*, row: _Row, claim_ids: dict[str, int], clash: str | None, actor: Actor) -> ImportRow:
    return import_row(
        line=row.line,
        reference=row.reference,
        refusal=clash or _row_refusal(row=row, claim_ids=claim_ids),
        apply=lambda: claim_pay(
            claim_id=claim_ids[row.reference],
            actor=actor,
            payment_reference=row.payment_reference,
            amount=Decimal(row.amount),
            currency=row.currency,
        ),
    )


def _row_refusal(*, row: _Row, claim_ids: dict[str, int]) -> str:
    if not row.reference:
        return _("The reference is empty.")
    if row.reference not in claim_ids:
        return _("No claim has this reference.")
    if not row.payment_reference:
        return _("Give the payment reference.")
    if len(row.payment_reference) > PAYMENT_REFERENCE_MAX_LENGTH:
        return _("The payment reference is longer than %(max)d characters.") % {
            "max": PAYMENT_REFERENCE_MAX_LENGTH
        }
    if not _AMOUNT.fullmatch(row.amount):
        return _("The amount is not a number like 30.00.")
    try:
        Decimal(row.amount)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        return _("The amount is not a number like 30.00.")
    return ""


def _clashes(rows: list[_Row]) -> dict[int, str]:
    """Rows that repeat another row's reference or payment reference: every one is refused."""
    by_reference: dict[str, list[int]] = defaultdict(list)
    by_payment: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.reference:
            by_reference[row.reference].append(row.line)
        if row.payment_reference:
            by_payment[row.payment_reference].append(row.line)
    clashes: dict[int, str] = {}
    for lines in by_payment.values():
        for line in lines if len(lines) > 1 else ():
            clashes[line] = _("The same payment reference is on lines %(lines)s.") % {
                "lines": _lines(lines)
            }
    for lines in by_reference.values():
        for line in lines if len(lines) > 1 else ():
            clashes[line] = _("The same reference is on lines %(lines)s.") % {
                "lines": _lines(lines)
            }
    return clashes
