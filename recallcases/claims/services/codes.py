"""Gift card and voucher codes: the pool a recall manager imports, and one code issued per claim.

A claim whose remedy is a code (gift card, voucher) is issued one when it waits for fulfilment
(approved; where the recall wants proof of disposal first, disposal confirmed): the code is taken
from the pool, the claim becomes "issued" and the step's email carries the code, read from the
pool when the email is sent. Issuing is idempotent per claim: the claim's row is locked, and a
claim that has its code is done. An empty pool leaves the claim waiting, as it was; the next
import issues codes to the waiting claims, oldest first. The recall's managers are warned once
when the pool runs low (the offer's `pool_low_at`) and once when it runs out, for each import.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import current_app
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.lifecycle import STATUSES, Waits, waiting_for
from recallcases.claims.models import Claim, ClaimEvent, ClaimStatus, RemedyCode, Shipment
from recallcases.claims.transitions import SYSTEM, Actor, claim_transition
from recallcases.core.csv_files import REPORT_LIST_LIMIT, CsvColumn, CsvReader
from recallcases.recalls.models import ISSUED_BY, Issue, Recall

logger = logging.getLogger(__name__)

# The remedies issued as a code from a pool.
CODE_REMEDIES = tuple(str(remedy) for remedy, issue in ISSUED_BY.items() if issue == Issue.CODE)
IMPORT_MAX_ROWS = 50_000
IMPORT_MAX_BYTES = 4 * 1024 * 1024
IMPORT_COLUMNS = (CsvColumn("code", required=True),)
CODE_MAX_LENGTH = RemedyCode._meta.get_field("code").max_length
# The Celery task that issues one claim's code (claims/tasks.py), published by name.
ISSUE_TASK = "recallcases.claims.tasks.remedy_code_issue_task"


@dataclass(frozen=True)
class PoolLevel:
    """Where a recall's pool of one remedy's codes stands."""

    recall_id: int
    remedy: str
    left: int  # codes not issued yet
    waiting: int  # claims waiting for a code
    imported: int  # codes ever imported: each import starts a new round of warnings
    low_at: int  # the offer's pool_low_at

    @property
    def is_low(self) -> bool:
        return self.left <= self.low_at

    @property
    def is_empty(self) -> bool:
        return self.left == 0


# Called with a PoolLevel, in the transaction that issued a code or found none, when the pool is
# low: notifications adds the recall managers' email here (claims must not import it).
POOL_LISTENERS: list[Callable[[PoolLevel], None]] = []


def claims_waiting_for_code(*, recall: Recall | None = None):
    """Claims approved for a gift card or voucher that have no code yet, oldest first."""
    claims = Claim.objects.filter(waiting_for(Waits.FULFILMENT), remedy__in=CODE_REMEDIES)
    if recall is not None:
        claims = claims.filter(recall=recall)
    return claims.order_by("updated_at", "pk")


def pool_level(*, recall: Recall, remedy: str) -> PoolLevel:
    """How many codes are left, imported, and how many claims wait: two queries."""
    counts = RemedyCode.objects.filter(recall=recall, remedy=remedy).aggregate(
        imported=Count("pk"), left=Count("pk", filter=Q(claim__isnull=True))
    )
    return PoolLevel(
        recall_id=recall.pk,
        remedy=remedy,
        left=counts["left"],
        waiting=claims_waiting_for_code(recall=recall).filter(remedy=remedy).count(),
        imported=counts["imported"],
        low_at=recall.remedy_offer(remedy).pool_low_at,
    )


def _pool_check(*, recall: Recall, remedy: str) -> PoolLevel:
    level = pool_level(recall=recall, remedy=remedy)
    if level.is_low:
        for listener in POOL_LISTENERS:
            listener(level)
    return level


def remedy_code_issue(*, claim_id: int) -> RemedyCode | None:
    """Issue the claim its code, once: returns the claim's code, or None when it does not wait
    for one or the pool is empty (it waits on; the managers are told)."""
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("recall")
            .filter(pk=claim_id)
            .first()
        )
        if claim is None:
            return None
        issued = RemedyCode.objects.filter(claim=claim).first()
        if issued is not None:
            return issued  # issued by an earlier run: never a second code
        if (
            claim.remedy not in CODE_REMEDIES
            or claim.anonymised_at is not None
            or not Claim.objects.filter(waiting_for(Waits.FULFILMENT), pk=claim.pk).exists()
        ):
            return None
        # Another worker issuing to another claim holds its code: take the next free one.
        code = (
            RemedyCode.objects.select_for_update(skip_locked=True)
            .filter(recall=claim.recall, remedy=claim.remedy, claim__isnull=True)
            .order_by("pk")
            .first()
        )
        if code is None:
            _pool_check(recall=claim.recall, remedy=claim.remedy)
            return None
        code.claim, code.issued_at = claim, timezone.now()
        code.save(update_fields=["claim", "issued_at"])
        Shipment.objects.create(claim=claim, remedy=claim.remedy)
        # The step's email ("issued") carries the code, read when it is sent.
        claim_transition(claim_id=claim.pk, to_status=ClaimStatus.REPLACEMENT_SHIPPED, actor=SYSTEM)
        audit_record(
            actor=None,
            action=AuditAction.REMEDY_CODE_ISSUE,
            subject=claim,
            subject_label=claim.reference,
            recall_id=claim.recall_id,
            claim_id=claim.pk,
            after={"remedy": claim.remedy, "code": f"…{code.last4}"},
        )
        _pool_check(recall=claim.recall, remedy=claim.remedy)
    logger.info("claim %s issued a %s code", claim.reference, claim.remedy)
    return code


def remedy_code_issue_later(*, claim_id: int) -> None:
    """Ask a worker to issue the claim's code once the transaction has committed."""

    def publish():
        try:
            current_app.signature(ISSUE_TASK, args=[claim_id]).apply_async()
        except Exception:  # the broker away: the next import or `remedy_codes_issue` catches up
            logger.warning("codes: claim %s not handed to a worker", claim_id)

    transaction.on_commit(publish)


def remedy_codes_issue_waiting(*, recall: Recall | None = None) -> int:
    """Issue codes to the claims waiting for one, oldest first; returns how many were issued."""
    issued = 0
    for claim_id in claims_waiting_for_code(recall=recall).values_list("pk", flat=True):
        if remedy_code_issue(claim_id=claim_id) is not None:
            issued += 1
    return issued


def code_issue_after_event(claim: Claim, event: ClaimEvent) -> None:
    """An event listener: a code claim that now waits for fulfilment is issued its code."""
    if claim.remedy not in CODE_REMEDIES:
        return
    waits = STATUSES[event.to_status].waits_for(
        disposal_first=claim.recall.disposal_before_shipping
    )
    if waits == Waits.FULFILMENT:
        remedy_code_issue_later(claim_id=claim.pk)


@dataclass
class CodesImportReport:
    """What a codes import did: codes added, and each refused line with why."""

    added: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    refused_count: int = 0

    @property
    def listed_refused(self) -> list[tuple[int, str]]:
        return self.refused[:REPORT_LIST_LIMIT]

    @property
    def more(self) -> int:
        return max(self.refused_count - REPORT_LIST_LIMIT, 0)


def remedy_codes_import(
    *, file, recall: Recall, remedy: str, actor: Actor, file_name: str = ""
) -> CodesImportReport:
    """Add the codes a CSV file lists (one column, `code`) to the recall's pool of `remedy`.

    A code already in the pool or twice in the file, empty or too long is refused, its line
    named; the others are added. Claims waiting for a code are issued one after the import.
    Raises CsvRefused for a file that cannot be read at all (nothing is added).
    """
    if remedy not in CODE_REMEDIES or remedy not in recall.offered_remedies:
        raise ValueError(f"{recall.slug} has no pool of {remedy} codes")
    reader = CsvReader(
        file, columns=IMPORT_COLUMNS, max_bytes=IMPORT_MAX_BYTES, max_rows=IMPORT_MAX_ROWS
    )
    report = CodesImportReport()
    rows: dict[str, int] = {}
    for line, (code,) in reader:
        code = code.strip()
        reason = ""
        if not code:
            reason = _("The code is empty.")
        elif any(character.isspace() or not character.isprintable() for character in code):
            reason = _("A code has no spaces, line breaks or control characters.")
        elif len(code) > CODE_MAX_LENGTH:
            reason = _("The code is longer than %(max)d characters.") % {"max": CODE_MAX_LENGTH}
        elif code in rows:
            reason = _("The same code is on line %(line)d.") % {"line": rows[code]}
        if reason:
            report.refused_count += 1
            report.refused.append((line, reason))
        else:
            rows[code] = line
    with transaction.atomic():
        known = set(
            RemedyCode.objects.filter(recall=recall, remedy=remedy, code__in=rows).values_list(
                "code", flat=True
            )
        )
        for code in sorted(known, key=rows.__getitem__):
            report.refused_count += 1
            report.refused.append((rows[code], _("This code is already in the pool.")))
        report.refused.sort()
        RemedyCode.objects.bulk_create(
            [
                RemedyCode(recall=recall, remedy=remedy, code=code)
                for code in rows
                if code not in known
            ],
            batch_size=2000,
        )
        report.added = len(rows) - len(known)
        audit_record(
            actor=actor.user,
            actor_kind=actor.kind,
            action=AuditAction.REMEDY_CODES_IMPORT,
            subject=None,
            subject_label=file_name or getattr(file, "name", "") or "",
            recall_id=recall.pk,
            after={"remedy": remedy, "added": report.added, "refused": report.refused_count},
        )
        if report.added:
            for claim_id in (
                claims_waiting_for_code(recall=recall)
                .filter(remedy=remedy)
                .values_list("pk", flat=True)
            ):
                remedy_code_issue_later(claim_id=claim_id)
    return report
