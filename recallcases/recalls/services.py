"""Changing recalls and their serial registries."""

import hashlib
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.core import csv_files
from recallcases.core.csv_files import CsvColumn, CsvReader, LineList
from recallcases.recalls.models import (
    RECALL_PICTURES_PREFIX,
    Product,
    ProofItem,
    Recall,
    RegistryEntry,
)
from recallcases.recalls.recall_file import RecallFileInvalid, picture_read, recall_file_check
from recallcases.recalls.serials import normalise_serial, serial_parts

REGISTRY_CSV_COLUMNS = (
    CsvColumn("model", required=True),
    CsvColumn("first_serial", required=True),
    CsvColumn("last_serial"),
)
# A range larger than this is almost certainly a typo in one of its ends.
MAX_RANGE_SIZE = 10_000_000
# A report lists this many duplicates and as many invalid rows (the first by line), and counts
# them all: a file of a million bad rows must not fill the memory or the page.
REPORT_LIST_LIMIT = csv_files.REPORT_LIST_LIMIT
# The longest prefix a registry entry holds, and the largest number its digits may make.
PREFIX_MAX_LENGTH = RegistryEntry._meta.get_field("prefix").max_length
NUMBER_MAX = 2**63 - 1
# Rows sent to the staging table in one statement where COPY is not available (SQLite).
STAGING_BATCH_SIZE = 5000

# The SQL of an import. Its temporary tables live in the importing connection's session only: the
# rows that parsed, the registry entries near them, and the lines found to be duplicates. The
# statements run unchanged on PostgreSQL and SQLite; only the loading differs (COPY on PostgreSQL).
_STAGING_DROP = (
    "DROP TABLE IF EXISTS registry_import_rows",
    "DROP TABLE IF EXISTS registry_import_existing",
    "DROP TABLE IF EXISTS registry_import_duplicates",
)
_STAGING_CREATE = (
    "CREATE TEMPORARY TABLE registry_import_rows ("
    " line bigint NOT NULL, product_id bigint NOT NULL, prefix varchar(40) NOT NULL,"
    " digits smallint NOT NULL, first_number bigint NOT NULL, last_number bigint NOT NULL)",
    "CREATE TEMPORARY TABLE registry_import_existing ("
    " prefix varchar(40) NOT NULL, digits smallint NOT NULL, first_number bigint NOT NULL,"
    " last_number bigint NOT NULL)",
    "CREATE TEMPORARY TABLE registry_import_duplicates (line bigint PRIMARY KEY)",
)
_ROWS_COPY = (
    "COPY registry_import_rows (line, product_id, prefix, digits, first_number, last_number) "
    "FROM STDIN"
)
_ROWS_INSERT = (
    "INSERT INTO registry_import_rows (line, product_id, prefix, digits, first_number, "
    "last_number) VALUES (%s, %s, %s, %s, %s, %s)"
)
_DUPLICATES_COPY = "COPY registry_import_duplicates (line) FROM STDIN"
_DUPLICATES_INSERT = "INSERT INTO registry_import_duplicates (line) VALUES (%s)"
# The registry entries a row of the file could overlap: for each prefix and digits, those starting
# from the entry nearest below the file's lowest number up to its highest (one range of the lookup
# index each). Read as a range, not probed row by row: a probe for the entry nearest below a
# number walks back over every deleted entry not yet vacuumed, and a deleted registry has many.
_REGISTRY_NEAR = """
INSERT INTO registry_import_existing (prefix, digits, first_number, last_number)
SELECT r.prefix, r.digits, r.first_number, r.last_number
FROM (
  SELECT span.prefix, span.digits, span.highest,
    COALESCE((SELECT MAX(below.first_number) FROM recalls_registryentry below
              WHERE below.recall_id = %s AND below.prefix = span.prefix
                AND below.digits = span.digits AND below.first_number < span.lowest),
             span.lowest) AS start
  FROM (SELECT prefix, digits, MIN(first_number) AS lowest, MAX(last_number) AS highest
        FROM registry_import_rows GROUP BY prefix, digits) span
) k
JOIN recalls_registryentry r
  ON r.recall_id = %s AND r.prefix = k.prefix AND r.digits = k.digits
 AND r.first_number >= k.start AND r.first_number <= k.highest
"""
# The rows that overlap those entries, merged with them in order of first number: an entry that
# starts at or before a row's first number and reaches it (`reach`), or one that starts after it
# but not after its last (`next_start`). An entry and a row starting together: the entry first.
_REGISTRY_OVERLAPS = """
INSERT INTO registry_import_duplicates (line)
SELECT line FROM (
  SELECT line, first_number, last_number,
    MAX(CASE WHEN line IS NULL THEN last_number END) OVER (
      PARTITION BY prefix, digits ORDER BY first_number, line IS NOT NULL
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach,
    MIN(CASE WHEN line IS NULL THEN first_number END) OVER (
      PARTITION BY prefix, digits ORDER BY first_number DESC
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS next_start
  FROM (SELECT prefix, digits, first_number, last_number, line FROM registry_import_rows
        UNION ALL
        SELECT prefix, digits, first_number, last_number, CAST(NULL AS bigint)
        FROM registry_import_existing) merged
) ranked
WHERE line IS NOT NULL AND (reach >= first_number OR next_start <= last_number)
"""
# The rows, in order of first number then line, that reach into a row before them (`reach`, the
# furthest any earlier row goes, is at or past their first number), and the rows such runs start
# from (the next row starts inside them).
_FILE_OVERLAP_RUNS = """
SELECT prefix, digits, line, first_number, last_number FROM (
  SELECT s.prefix, s.digits, s.line, s.first_number, s.last_number,
    MAX(s.last_number) OVER (PARTITION BY s.prefix, s.digits ORDER BY s.first_number, s.line
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach,
    LEAD(s.first_number) OVER (PARTITION BY s.prefix, s.digits
                               ORDER BY s.first_number, s.line) AS next_first
  FROM registry_import_rows s
  WHERE NOT EXISTS (SELECT 1 FROM registry_import_duplicates d WHERE d.line = s.line)
) ranked
WHERE reach >= first_number OR next_first <= last_number
ORDER BY prefix, digits, first_number, line
"""
_DUPLICATES_COUNT = """
SELECT COUNT(*), COALESCE(SUM(s.last_number - s.first_number + 1), 0)
FROM registry_import_duplicates d JOIN registry_import_rows s ON s.line = d.line
"""
_DUPLICATES_FIRST = """
SELECT s.line, s.prefix, s.digits, s.first_number, s.last_number
FROM registry_import_duplicates d JOIN registry_import_rows s ON s.line = d.line
ORDER BY s.line LIMIT %s
"""
# The rows added (neither invalid nor duplicates) as registry entries: a run of rows of one
# product where each starts right after the row before it ends (in order of first number) is one
# entry, from the run's first number to its last. Files list serials one a row, mostly
# consecutive: a run is stored, and its foreign key checked, once instead of once a serial. Rows
# never overlap here, so the order is total within a prefix and digits; a row left out (a
# duplicate) leaves a gap its neighbours do not close. Entries already in the registry are not
# merged with: the run is of this file's rows only. `first_number - 1`, not `last_number + 1`:
# a last number may be the largest a bigint holds.
_ENTRIES_INSERT = """
INSERT INTO recalls_registryentry
  (recall_id, product_id, prefix, digits, first_number, last_number, is_demo, created_at)
SELECT %s, product_id, prefix, digits, MIN(first_number), MAX(last_number), %s, %s
FROM (
  SELECT product_id, prefix, digits, first_number, last_number,
    SUM(starts) OVER (PARTITION BY prefix, digits ORDER BY first_number
                      ROWS UNBOUNDED PRECEDING) AS run
  FROM (
    SELECT s.product_id, s.prefix, s.digits, s.first_number, s.last_number,
      CASE WHEN LAG(s.last_number) OVER w = s.first_number - 1
            AND LAG(s.product_id) OVER w = s.product_id THEN 0 ELSE 1 END AS starts
    FROM registry_import_rows s
    WHERE NOT EXISTS (SELECT 1 FROM registry_import_duplicates d WHERE d.line = s.line)
    WINDOW w AS (PARTITION BY s.prefix, s.digits ORDER BY s.first_number)
  ) marked
) runs
GROUP BY prefix, digits, run, product_id
"""


class RegistryRowError(ValueError):
    """A registry row that cannot be imported; the message says why."""


@dataclass
class RegistryImportReport:
    rows: int = 0
    # Rows of the file added (what a manager compares with the file: every row read is added,
    # a duplicate or invalid), the serials they hold, and the registry entries that store them
    # (a run of consecutive serials is one entry, so there are fewer entries than rows).
    rows_added: int = 0
    units_added: int = 0
    entries_added: int = 0
    # (line number, what was on it) for rows overlapping the registry or an earlier row: the
    # first REPORT_LIST_LIMIT by line.
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    # (line number, why it was refused): the first REPORT_LIST_LIMIT by line, all counted.
    invalid: LineList = field(default_factory=lambda: LineList(limit=REPORT_LIST_LIMIT))
    # All the duplicates, listed or not.
    duplicate_count: int = 0

    @property
    def invalid_count(self) -> int:
        return self.invalid.total

    @property
    def duplicates_more(self) -> int:
        """How many duplicates are counted but not listed."""
        return self.duplicate_count - len(self.duplicates)

    @property
    def lists_are_cut(self) -> bool:
        """Whether some duplicates or invalid rows are counted but not listed."""
        return len(self.duplicates) < self.duplicate_count or len(self.invalid) < self.invalid_count


class _Range(NamedTuple):
    """A parsed row: what a registry entry will hold."""

    product_id: int
    prefix: str
    digits: int
    first_number: int
    last_number: int


class _Model(NamedTuple):
    """What reading a row needs of the product a model names."""

    product_id: int
    serial_length: int
    serial_excluded_letters: str
    # A serial as most files hold it: already canonical, of the right length, without a letter
    # the product never uses. Such a serial needs none of the checks below (a million-row file
    # is read in half the time).
    canonical: re.Pattern


def _products_by_model(products: Iterable[Product]) -> dict[str, _Model]:
    """The recall's products under their model and each model number, in upper case."""
    by_model: dict[str, _Model] = {}
    for product in products:
        letters = "".join(
            c for c in string.ascii_uppercase if c not in product.serial_excluded_letters
        )
        model = _Model(
            product.pk,
            product.serial_length,
            product.serial_excluded_letters,
            re.compile(f"[0-9{letters}]{{{product.serial_length}}}"),
        )
        # The first product naming a model keeps it, as a search in the products' order would.
        by_model.setdefault(product.model.upper(), model)
        for number in product.model_numbers:
            by_model.setdefault(number.upper(), model)
    return by_model


def _product_for(by_model: dict[str, _Model], model: str) -> _Model:
    model = model.strip().upper()
    product = by_model.get(model)
    if product is None:
        raise RegistryRowError(f"unknown model {model!r} for this recall")
    return product


def _parse_serial(product: _Model, raw: str) -> tuple[str, str, int, int]:
    """The serial, its prefix, how many trailing digits it has and the number they make."""
    serial = raw if product.canonical.fullmatch(raw) else _serial_check(product, raw)
    return serial, *serial_parts(serial)


def _serial_check(product: _Model, raw: str) -> str:
    # Most files hold serials already in canonical form: skip the normalising for those.
    if raw.isascii() and raw.isalnum() and raw == raw.upper():
        serial = raw
    else:
        serial = normalise_serial(raw, excluded_letters="").value
    if not serial.isalnum() or not serial.isascii():
        raise RegistryRowError(f"{raw!r} has characters a serial never has")
    if len(serial) != product.serial_length:
        raise RegistryRowError(f"{serial} is not {product.serial_length} characters long")
    if any(letter in serial for letter in product.serial_excluded_letters):
        raise RegistryRowError(
            f"{serial} contains a letter this product's serials never use "
            f"({product.serial_excluded_letters})"
        )
    return serial


def _parse_row(by_model: dict[str, _Model], model: str, first: str, last: str) -> _Range:
    product = _product_for(by_model, model)
    first, prefix, digits, first_number = _parse_serial(product, first)
    if last:
        last, last_prefix, last_digits, last_number = _parse_serial(product, last)
    else:  # a single serial
        last, last_prefix, last_digits, last_number = first, prefix, digits, first_number
    if (prefix, digits) != (last_prefix, last_digits):
        raise RegistryRowError(f"{first} and {last} differ before their trailing digits")
    if first_number > last_number:
        raise RegistryRowError(f"{first} comes after {last}")
    if last_number - first_number + 1 > MAX_RANGE_SIZE:
        raise RegistryRowError(f"{first} to {last} holds more than {MAX_RANGE_SIZE:,} serials")
    if len(prefix) > PREFIX_MAX_LENGTH:
        raise RegistryRowError(
            f"{first} has more than {PREFIX_MAX_LENGTH} characters before its trailing digits"
        )
    if last_number > NUMBER_MAX:
        raise RegistryRowError(f"{last} ends in more digits than a registry can hold")
    return _Range(product.product_id, prefix, digits, first_number, last_number)


# A row as an import reads it: (line number, [model, first serial, last serial or ""]), as the
# shared CSV reader gives it.
_Row = tuple[int, Sequence[str]]


def registry_import(
    *, recall: Recall, rows: Iterable[dict], is_demo: bool = False, actor=None, file_name: str = ""
) -> RegistryImportReport:
    """Add serials and ranges to `recall`'s registry: all the good rows, or nothing on failure.

    Rows are dicts with `model` (model or model number), `first_serial` and an optional
    `last_serial`. Invalid rows and rows overlapping the registry or an earlier row are skipped
    and reported by line number (the header is line 1). Rows are read one at a time, so `rows`
    may be a generator over a file of millions.
    """
    numbered = (
        (
            line,
            (row.get("model") or "", row.get("first_serial") or "", row.get("last_serial") or ""),
        )
        for line, row in enumerate(rows, start=2)
    )
    return _registry_rows_import(
        recall=recall, rows=numbered, is_demo=is_demo, actor=actor, file_name=file_name
    )


def registry_import_csv(
    *, recall: Recall, file: IO, is_demo: bool = False, actor=None, file_name: str = ""
) -> RegistryImportReport:
    """Import a registry CSV whose header names the columns of REGISTRY_CSV_COLUMNS.

    The file (binary, or text already decoded) is read row by row by the shared reader, never
    whole. A file it refuses (not text, a NUL, a missing column) raises CsvRefused, and nothing
    is imported, even if the problem is found after a million good rows.
    """
    reader = CsvReader(file, columns=REGISTRY_CSV_COLUMNS)
    return _registry_rows_import(
        recall=recall, rows=reader, is_demo=is_demo, actor=actor, file_name=file_name
    )


@transaction.atomic
def _registry_rows_import(
    *, recall: Recall, rows: Iterable[_Row], is_demo: bool, actor=None, file_name: str = ""
) -> RegistryImportReport:
    """Stage the good rows, find the overlaps in SQL, add what is left: in one transaction.

    Entries of a recall never overlap (see docs/adr/0003-serial-registry-ranges.md). A row is a
    duplicate when it overlaps the registry, or a row of the file that comes before it in the
    order of first serials (then of lines) and is not itself a duplicate.
    """
    # Two imports into one recall at once could each find the other's serials new: one waits.
    # (NO KEY: claims, whose foreign key locks the recall row for KEY SHARE, are not held up.)
    list(Recall.objects.select_for_update(no_key=True).filter(pk=recall.pk).values("pk"))
    report = RegistryImportReport()
    by_model = _products_by_model(recall.products.all())
    staged = staged_units = 0
    with connection.cursor() as cursor:
        for statement in (*_STAGING_DROP, *_STAGING_CREATE):
            cursor.execute(statement)
        with _rows_writer(cursor, copy=_ROWS_COPY, insert=_ROWS_INSERT) as write:
            for line, (model, first, last) in rows:
                report.rows += 1
                try:
                    parsed = _parse_row(by_model, model, first, last)
                except RegistryRowError as error:
                    report.invalid.append((line, str(error)))
                    continue
                write((line, *parsed))
                staged += 1
                staged_units += parsed.last_number - parsed.first_number + 1
        if connection.vendor == "postgresql":
            # Temporary tables are never analysed on their own: tell the planner their size.
            cursor.execute("ANALYZE registry_import_rows")
        cursor.execute(_REGISTRY_NEAR, [recall.pk, recall.pk])
        if cursor.rowcount:
            cursor.execute(_REGISTRY_OVERLAPS)
        _file_overlaps_mark(cursor)
        duplicate_units = _duplicates_report(cursor, report)
        cursor.execute(
            _ENTRIES_INSERT,
            [recall.pk, is_demo, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        report.entries_added = cursor.rowcount
        for statement in _STAGING_DROP:
            cursor.execute(statement)
    report.rows_added = staged - report.duplicate_count
    report.units_added = staged_units - duplicate_units
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_IMPORT,
        subject=recall,
        subject_label=recall.slug,
        recall_id=recall.pk,
        note=file_name,
        after={
            "rows": report.rows,
            "rows_added": report.rows_added,
            "units_added": report.units_added,
            "entries_added": report.entries_added,
            "duplicates": report.duplicate_count,
            "invalid": report.invalid_count,
            "demo": is_demo,
        },
    )
    return report


@contextmanager
def _rows_writer(cursor, *, copy: str, insert: str) -> Iterator[Callable[[tuple], None]]:
    """A function that adds a row to a staging table: by COPY on PostgreSQL, in batches else."""
    if connection.vendor == "postgresql":
        with cursor.copy(copy) as copying:
            yield copying.write_row
        return
    batch: list[tuple] = []

    def write(row: tuple) -> None:
        batch.append(row)
        if len(batch) >= STAGING_BATCH_SIZE:
            cursor.executemany(insert, batch)
            batch.clear()

    yield write
    if batch:
        cursor.executemany(insert, batch)


def _file_overlaps_mark(cursor) -> None:
    """Mark the rows that overlap a row of the file before them (order: first number, line).

    SQL finds the runs of rows that overlap (none in a clean file); only those come back, and a
    walk through each run keeps a row if it does not overlap the last row kept.
    """
    duplicates: list[tuple[int]] = []
    kind, reach = None, -1
    # A server-side cursor on PostgreSQL: a file of nothing but overlaps comes back in chunks.
    with connection.chunked_cursor() as runs:
        runs.execute(_FILE_OVERLAP_RUNS)
        while chunk := runs.fetchmany(10_000):
            for prefix, digits, line, first_number, last_number in chunk:
                if (prefix, digits) != kind:
                    kind, reach = (prefix, digits), -1
                if first_number <= reach:
                    duplicates.append((line,))
                else:
                    reach = last_number
    with _rows_writer(cursor, copy=_DUPLICATES_COPY, insert=_DUPLICATES_INSERT) as write:
        for row in duplicates:
            write(row)


def _duplicates_report(cursor, report: RegistryImportReport) -> int:
    """Count the duplicates and list the first by line; return how many serials they hold."""
    cursor.execute(_DUPLICATES_COUNT)
    report.duplicate_count, units = cursor.fetchone()
    cursor.execute(_DUPLICATES_FIRST, [REPORT_LIST_LIMIT])
    report.duplicates = [
        (line, str(RegistryEntry(prefix=p, digits=d, first_number=f, last_number=la)))
        for line, p, d, f, la in cursor.fetchall()
    ]
    return int(units)


def recall_picture_store(content: bytes) -> str:
    """Store a recall picture (a JPEG the photo pipeline wrote) and return its storage name.

    Named by its content: loading the same file twice stores the picture once.
    """
    name = f"{RECALL_PICTURES_PREFIX}{hashlib.sha256(content).hexdigest()[:32]}.jpg"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
    return name


def recall_load(*, data: dict, base_dir: Path | None = None) -> Recall:
    """Create or update a recall and its products from a recall file (docs/recall-file.md).

    The whole file is checked first: a file with errors raises RecallFileInvalid, naming every
    error with its field, and loads nothing. Products the file does not name are left as they are.
    When the file lists `proof_items`, they replace the recall's (an item a claim photo shows
    cannot be dropped); a file without them leaves the recall's as they are. Pictures are read
    from paths relative to `base_dir`, the file's folder.
    """
    recall_file_check(data, base_dir=base_dir)
    with transaction.atomic():
        fields = dict(data["recall"])
        slug = fields.pop("slug")
        recall = Recall.objects.filter(slug=slug).first() or Recall(slug=slug)
        _assign_and_save(recall, fields, path="", base_dir=base_dir)
        for index, product_fields in enumerate(data["products"]):
            product_fields = dict(product_fields)
            model = product_fields.pop("model")
            product = Product.objects.filter(recall=recall, model=model).first() or Product(
                recall=recall, model=model
            )
            _assign_and_save(product, product_fields, path=f"products[{index}]", base_dir=base_dir)
        if "proof_items" in data:
            _proof_items_load(recall, data["proof_items"], base_dir=base_dir)
    return recall


def _proof_items_load(recall: Recall, items: list[dict], *, base_dir: Path | None) -> None:
    codes = [item["code"] for item in items]
    dropped = recall.proof_items.exclude(code__in=codes)
    for item in dropped:
        try:
            with transaction.atomic():
                item.delete()
        except models.ProtectedError:
            raise RecallFileInvalid(
                {
                    "proof_items": [
                        f'"{item.code}" is missing, but claims have photos of it: keep it in '
                        "the file (it may become optional)"
                    ]
                }
            ) from None
    for index, item_fields in enumerate(items):
        item_fields = {"order": index, **item_fields}
        code = item_fields.pop("code")
        item = recall.proof_items.filter(code=code).first() or ProofItem(recall=recall, code=code)
        _assign_and_save(item, item_fields, path=f"proof_items[{index}]", base_dir=base_dir)


def _assign_and_save(instance, fields: dict, *, path: str, base_dir: Path | None = None) -> None:
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        if isinstance(field, models.FileField):
            # The file's check read it already; read it again to store what the pipeline wrote.
            value = (
                recall_picture_store(picture_read(value, base_dir=base_dir).image) if value else ""
            )
        setattr(instance, name, value)
    try:
        # What the file check cannot see (a rule of the database, a model's own clean).
        instance.full_clean()
    except ValidationError as error:
        raise RecallFileInvalid(
            {
                ".".join(filter(None, [path, "" if name == NON_FIELD_ERRORS else name])): messages
                for name, messages in error.message_dict.items()
            }
        ) from None
    instance.save()
