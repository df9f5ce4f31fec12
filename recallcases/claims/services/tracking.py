"""The tracking import: a shipping partner's carriers and tracking numbers, back from a CSV file.

Every row goes through `claim_ship`, exactly as the one-by-one form does. The file is read by the
shared reader (recallcases.core.csv_files); what a good row is is decided here.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.models import Claim, Shipment
from recallcases.claims.services import TRACKING_URLS, claim_ship
from recallcases.claims.tokens import normalise_reference
from recallcases.claims.transitions import Actor, TransitionRefused
from recallcases.core.csv_files import REPORT_LIST_LIMIT, CsvColumn, CsvReader
from recallcases.recalls.models import Remedy

IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_COLUMNS = (
    CsvColumn("reference", required=True),
    CsvColumn("carrier", required=True),
    CsvColumn("tracking_number", required=True),
    CsvColumn("remedy"),
)
# The longest carrier and tracking number a Shipment holds.
CARRIER_MAX_LENGTH = Shipment._meta.get_field("carrier").max_length
TRACKING_MAX_LENGTH = Shipment._meta.get_field("tracking_number").max_length
# Carriers as the partner may spell them ("ups", "canada post"), to the names tracking links know.
KNOWN_CARRIERS = {name.casefold(): name for name in TRACKING_URLS}


class RowOutcome(models.TextChoices):
    APPLIED = "applied", gettext_lazy("Applied")
    REFUSED = "refused", gettext_lazy("Refused")
    # The row was fine, but nothing was applied because other rows were refused.
    NOT_APPLIED = "not applied", gettext_lazy("Not applied")


@dataclass
class ImportRow:
    line: int  # line number in the file, the header being line 1
    reference: str
    outcome: str = RowOutcome.APPLIED
    reason: str = ""

    def get_outcome_display(self) -> str:
        return RowOutcome(self.outcome).label


@dataclass
class TrackingImportReport:
    """What an import did, row by row."""

    apply_good_rows: bool
    rows: list[ImportRow] = field(default_factory=list)

    def _count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def applied(self) -> int:
        return self._count(RowOutcome.APPLIED)

    @property
    def refused(self) -> int:
        return self._count(RowOutcome.REFUSED)

    @property
    def nothing_applied(self) -> bool:
        return self.applied == 0

    @property
    def listed_rows(self) -> list[ImportRow]:
        """The rows the page lists: the first REPORT_LIST_LIMIT, the others only counted."""
        return self.rows[:REPORT_LIST_LIMIT]

    @property
    def more(self) -> int:
        return max(len(self.rows) - REPORT_LIST_LIMIT, 0)


class _RollBack(Exception):
    """Raised inside the import's transaction to undo every row (all or nothing)."""


@dataclass
class _Row:
    line: int
    reference: str
    carrier: str
    tracking_number: str
    remedy: str


def tracking_import(
    *, file, actor: Actor, apply_good_rows: bool, file_name: str = ""
) -> TrackingImportReport:
    """Record the shipments a partner's CSV lists (reference, carrier, tracking_number, remedy).

    Each row is shipped by `claim_ship`, with the actor's rights. A row that is refused changes
    nothing. With `apply_good_rows` false, one refused row means no row is applied; with it true,
    exactly the rows that were not refused are applied. A file that cannot be read at all raises
    CsvRefused and nothing is applied.
    """
    rows = _rows_read(file=file)
    claim_ids = _claim_ids(references={row.reference for row in rows if row.reference})
    refusals = _refusals_in_file(rows=rows)
    return claims_import_apply(
        rows=rows,
        apply_row=lambda row: _row_ship(
            row=row, claim_ids=claim_ids, refusal=refusals.get(row.line), actor=actor
        ),
        apply_good_rows=apply_good_rows,
        actor=actor,
        action=AuditAction.TRACKING_IMPORT,
        file_label=file_name or getattr(file, "name", "") or "",
    )


def claims_import_apply(
    *,
    rows: list,
    apply_row: Callable[[Any], ImportRow],
    apply_good_rows: bool,
    actor: Actor,
    action: str,
    file_label: str,
) -> TrackingImportReport:
    """Apply an import's rows (tracking numbers, payment confirmations) in one transaction, each
    through `apply_row` (see `import_row`); with `apply_good_rows` false, one refused row rolls
    every row back. The file is audited after, as `action`: one that applied nothing was still
    sent, and by whom."""
    report = TrackingImportReport(apply_good_rows=apply_good_rows)
    try:
        with transaction.atomic():
            for row in rows:
                report.rows.append(apply_row(row))
            if not apply_good_rows and report.refused:
                raise _RollBack
    except _RollBack:
        for row in report.rows:
            if row.outcome == RowOutcome.APPLIED:
                row.outcome = RowOutcome.NOT_APPLIED
                row.reason = _(
                    "This row is fine; it was not applied because other rows were refused."
                )
    audit_record(
        actor=actor.user,
        actor_kind=actor.kind,
        action=action,
        subject=None,
        subject_label=file_label,
        after={
            "rows": len(report.rows),
            "applied": report.applied,
            "refused": report.refused,
            "not_applied": report._count(RowOutcome.NOT_APPLIED),
            "apply_good_rows": apply_good_rows,
        },
    )
    return report


def import_row(
    *, line: int, reference: str, refusal: str, apply: Callable[[], object]
) -> ImportRow:
    """One row of an import: refused for `refusal`, else applied by `apply` in a savepoint of
    its own, so a refused row leaves nothing behind whatever the step did."""
    result = ImportRow(line=line, reference=reference)
    reason = refusal
    if not reason:
        try:
            with transaction.atomic():
                apply()
        except TransitionRefused as refused:
            reason = str(refused.message)
    if reason:
        result.outcome, result.reason = RowOutcome.REFUSED, reason
    return result


def _row_ship(
    *, row: _Row, claim_ids: dict[str, int], refusal: str | None, actor: Actor
) -> ImportRow:
    return import_row(
        line=row.line,
        reference=row.reference,
        refusal=refusal or _row_refusal(row=row, claim_ids=claim_ids),
        apply=lambda: claim_ship(
            claim_id=claim_ids[row.reference],
            actor=actor,
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            remedy=row.remedy,
        ),
    )


def _row_refusal(*, row: _Row, claim_ids: dict[str, int]) -> str:
    """Why a row cannot be shipped before asking the claim, or "" if nothing is wrong yet."""
    if not row.reference:
        return _("The reference is empty.")
    if row.reference not in claim_ids:
        return _("No claim has this reference.")
    if not row.carrier or not row.tracking_number:
        return _("Give the carrier and the tracking number.")
    if len(row.carrier) > CARRIER_MAX_LENGTH:
        return _("The carrier is longer than %(max)d characters.") % {"max": CARRIER_MAX_LENGTH}
    if len(row.tracking_number) > TRACKING_MAX_LENGTH:
        return _("The tracking number is longer than %(max)d characters.") % {
            "max": TRACKING_MAX_LENGTH
        }
    if row.remedy not in Remedy.values:
        return _("Unknown remedy “%(remedy)s”: use one of %(remedies)s.") % {
            "remedy": row.remedy,
            "remedies": ", ".join(Remedy.values),
        }
    return ""


def _refusals_in_file(*, rows: list[_Row]) -> dict[int, str]:
    """Rows that contradict another row of the file: the same reference or tracking number.

    Every row of such a pair is refused: which one is right cannot be told from the file, and a
    claim shipped with the wrong tracking number could not be corrected by a new import.
    """
    lines_by_reference: dict[str, list[int]] = defaultdict(list)
    lines_by_tracking: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in rows:
        if row.reference:
            lines_by_reference[row.reference].append(row.line)
        if row.carrier and row.tracking_number:
            lines_by_tracking[(row.carrier, row.tracking_number)].append(row.line)
    refusals: dict[int, str] = {}
    for lines in lines_by_tracking.values():
        for line in lines if len(lines) > 1 else ():
            refusals[line] = _("The same tracking number is on lines %(lines)s.") % {
                "lines": _lines(lines)
            }
    for lines in lines_by_reference.values():
        for line in lines if len(lines) > 1 else ():
            refusals[line] = _("The same reference is on lines %(lines)s.") % {
                "lines": _lines(lines)
            }
    return refusals


# A row names at most this many of the other lines it clashes with: 5,000 rows of one reference
# would otherwise each carry the 5,000 line numbers, a page of 25 million characters.
CLASH_LINES_LISTED = 10


def _lines(lines: list[int]) -> str:
    listed = ", ".join(str(line) for line in lines[:CLASH_LINES_LISTED])
    if len(lines) <= CLASH_LINES_LISTED:
        return listed
    return _("%(lines)s and %(more)d more") % {
        "lines": listed,
        "more": len(lines) - CLASH_LINES_LISTED,
    }


def _claim_ids(*, references: set[str]) -> dict[str, int]:
    return dict(Claim.objects.filter(reference__in=references).values_list("reference", "pk"))


def _rows_read(*, file) -> list[_Row]:
    """The file's rows, normalised as claim_ship stores them; CsvRefused if unreadable."""
    reader = CsvReader(
        file, columns=IMPORT_COLUMNS, max_bytes=IMPORT_MAX_BYTES, max_rows=IMPORT_MAX_ROWS
    )
    return [_row(values=values, line=line) for line, values in reader]


def _row(*, values: list[str], line: int) -> _Row:
    reference, carrier, tracking_number, remedy = values  # in the order of IMPORT_COLUMNS
    remedy = "_".join(remedy.casefold().replace("-", " ").split())
    return _Row(
        line=line,
        reference=normalise_reference(reference),
        carrier=KNOWN_CARRIERS.get(carrier.casefold(), carrier),
        # As claim_ship stores it, so duplicates within the file are found as the database would.
        tracking_number=tracking_number.upper(),
        remedy=remedy or Remedy.REPLACEMENT.value,
    )
