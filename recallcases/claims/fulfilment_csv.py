"""Fulfilment by file: the shipping list for a partner as CSV, and their tracking numbers back.

The export is a selector: it streams the claims it is given, never loading them all at once. The
import is a service: every row goes through `claim_ship`, exactly as the one-by-one form does.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.models import Claim, Shipment
from recallcases.claims.services import TRACKING_URLS, claim_ship
from recallcases.claims.tokens import normalise_reference
from recallcases.claims.transitions import Actor, TransitionRefused
from recallcases.recalls.models import Remedy

# What the shipping partner receives, in this order: the header line, then one line per claim.
EXPORT_COLUMNS = (
    ("reference", "reference"),
    ("product_model", "product__model"),
    ("name", "name"),
    ("address_line1", "address_line1"),
    ("address_line2", "address_line2"),
    ("city", "city"),
    ("region", "region"),
    ("postal_code", "postal_code"),
    ("country", "country"),
    ("phone", "phone"),
    ("email", "email"),
    ("language", "language"),
)
EXPORT_CHUNK_SIZE = 2000

# A spreadsheet runs a cell that starts with one of these as a formula; consumers type the fields.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_REQUIRED_COLUMNS = ("reference", "carrier", "tracking_number")
IMPORT_OPTIONAL_COLUMNS = ("remedy",)
# The longest carrier and tracking number a Shipment holds.
CARRIER_MAX_LENGTH = Shipment._meta.get_field("carrier").max_length
TRACKING_MAX_LENGTH = Shipment._meta.get_field("tracking_number").max_length
# Carriers as the partner may spell them ("ups", "canada post"), to the names tracking links know.
KNOWN_CARRIERS = {name.casefold(): name for name in TRACKING_URLS}


def csv_cell(value) -> str:
    """The value as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def shipping_csv(*, claims: QuerySet[Claim]) -> Iterator[str]:
    """The CSV lines of the shipping list for `claims`: a header, then one line per claim.

    Reads only the exported columns (never the access token's hash), in chunks, so a list of
    50,000 claims does not sit in memory.
    """
    writer = csv.writer(_Line())
    yield writer.writerow([header for header, _field in EXPORT_COLUMNS])
    rows = claims.values_list(*(column for _header, column in EXPORT_COLUMNS))
    for row in rows.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield writer.writerow([csv_cell(value) for value in row])


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


class TrackingFileRefused(Exception):
    """A file that cannot be imported at all; `message` is fit to show the person who sent it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class _RollBack(Exception):
    """Raised inside the import's transaction to undo every row (all or nothing)."""


@dataclass
class _Row:
    line: int
    reference: str
    carrier: str
    tracking_number: str
    remedy: str


def tracking_import(*, file, actor: Actor, apply_good_rows: bool) -> TrackingImportReport:
    """Record the shipments a partner's CSV lists (reference, carrier, tracking_number, remedy).

    Each row is shipped by `claim_ship`, with the actor's rights. A row that is refused changes
    nothing. With `apply_good_rows` false, one refused row means no row is applied; with it true,
    exactly the rows that were not refused are applied. A file that cannot be read at all raises
    TrackingFileRefused and nothing is applied.
    """
    rows = _rows_read(file=file)
    report = TrackingImportReport(apply_good_rows=apply_good_rows)
    claim_ids = _claim_ids(references={row.reference for row in rows if row.reference})
    refusals = _refusals_in_file(rows=rows)
    try:
        with transaction.atomic():
            for row in rows:
                report.rows.append(
                    _row_ship(
                        row=row, claim_ids=claim_ids, refusal=refusals.get(row.line), actor=actor
                    )
                )
            if not apply_good_rows and report.refused:
                raise _RollBack
    except _RollBack:
        for row in report.rows:
            if row.outcome == RowOutcome.APPLIED:
                row.outcome = RowOutcome.NOT_APPLIED
                row.reason = _(
                    "This row is fine; it was not applied because other rows were refused."
                )
    # After the rows' transaction: a file that applied nothing was still sent, and by whom.
    audit_record(
        actor=actor.user,
        actor_kind=actor.kind,
        action=AuditAction.TRACKING_IMPORT,
        subject=None,
        subject_label=getattr(file, "name", "") or "",
        after={
            "rows": len(report.rows),
            "applied": report.applied,
            "refused": report.refused,
            "not_applied": report._count(RowOutcome.NOT_APPLIED),
            "apply_good_rows": apply_good_rows,
        },
    )
    return report


def _row_ship(
    *, row: _Row, claim_ids: dict[str, int], refusal: str | None, actor: Actor
) -> ImportRow:
    result = ImportRow(line=row.line, reference=row.reference)
    reason = refusal or _row_refusal(row=row, claim_ids=claim_ids)
    if not reason:
        try:
            # A savepoint per row: a refused row leaves nothing behind, whatever claim_ship did.
            with transaction.atomic():
                claim_ship(
                    claim_id=claim_ids[row.reference],
                    actor=actor,
                    carrier=row.carrier,
                    tracking_number=row.tracking_number,
                    remedy=row.remedy,
                )
        except TransitionRefused as refused:
            reason = str(refused.message)
    if reason:
        result.outcome, result.reason = RowOutcome.REFUSED, reason
    return result


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


def _lines(lines: Iterable[int]) -> str:
    return ", ".join(str(line) for line in lines)


def _claim_ids(*, references: set[str]) -> dict[str, int]:
    return dict(Claim.objects.filter(reference__in=references).values_list("reference", "pk"))


def _header_key(cell: str) -> str:
    # "Tracking Number", " tracking-number " and "TRACKING_NUMBER" all name the same column.
    return "_".join(cell.replace("-", " ").replace("_", " ").split()).casefold()


def _rows_read(*, file) -> list[_Row]:
    """The file's rows, normalised as claim_ship stores them; TrackingFileRefused if unreadable."""
    if (getattr(file, "size", None) or 0) > IMPORT_MAX_BYTES:
        raise _too_big()
    data = file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise _too_big()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TrackingFileRefused(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    if "\0" in text:
        raise TrackingFileRefused(_("The file is not a CSV file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((cells for cells in reader if any(cell.strip() for cell in cells)), None)
        if header is None:
            raise TrackingFileRefused(_("The file is empty."))
        columns = _columns(header=header)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == IMPORT_MAX_ROWS:
                raise TrackingFileRefused(
                    _("The file has more than %(max)d rows. Split it and upload each part.")
                    % {"max": IMPORT_MAX_ROWS}
                )
            rows.append(_row(cells=cells, columns=columns, line=reader.line_num))
    except csv.Error as error:
        raise TrackingFileRefused(
            _("Line %(line)d of the file cannot be read as CSV (%(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from None
    if not rows:
        raise TrackingFileRefused(_("The file has a header but no rows."))
    return rows


def _too_big() -> TrackingFileRefused:
    return TrackingFileRefused(
        _("The file is larger than %(max)d MB. Split it and upload each part.")
        % {"max": IMPORT_MAX_BYTES // (1024 * 1024)}
    )


def _columns(*, header: list[str]) -> dict[str, int]:
    """Where each column we read is, from the header line; TrackingFileRefused if one is missing."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell)
        if key in IMPORT_REQUIRED_COLUMNS + IMPORT_OPTIONAL_COLUMNS:
            if key in columns:
                raise TrackingFileRefused(
                    _("The column “%(column)s” appears twice in the header.") % {"column": key}
                )
            columns[key] = index
    missing = [column for column in IMPORT_REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise TrackingFileRefused(
            _(
                "The first line of the file must name the columns: %(required)s, and optionally "
                "%(optional)s. Missing: %(missing)s."
            )
            % {
                "required": ", ".join(IMPORT_REQUIRED_COLUMNS),
                "optional": ", ".join(IMPORT_OPTIONAL_COLUMNS),
                "missing": ", ".join(missing),
            }
        )
    return columns


def _row(*, cells: list[str], columns: dict[str, int], line: int) -> _Row:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    carrier = cell("carrier")
    remedy = "_".join(cell("remedy").casefold().replace("-", " ").split())
    return _Row(
        line=line,
        reference=normalise_reference(cell("reference")),
        carrier=KNOWN_CARRIERS.get(carrier.casefold(), carrier),
        # As claim_ship stores it, so duplicates within the file are found as the database would.
        tracking_number=cell("tracking_number").upper(),
        remedy=remedy or Remedy.REPLACEMENT.value,
    )
