"""The list of known purchasers: importing it, and recording unsubscriptions and bounces."""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.models import Language
from recallcases.core.csv_files import CsvColumn, CsvReader, LineList
from recallcases.notices.models import Purchaser
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.recalls.models import Country, Product, Recall
from recallcases.recalls.serials import normalise_serial

logger = logging.getLogger(__name__)

PURCHASER_CSV_COLUMNS = (
    CsvColumn("name"),
    CsvColumn("email", required=True),
    CsvColumn("order_number"),
    CsvColumn("model"),
    CsvColumn("serial"),
    CsvColumn("country", required=True),
    CsvColumn("language"),
)
# Rows read, checked and written together; the whole import is still one transaction.
IMPORT_CHUNK = 1000
# What people write in a list's language column → the language of the notice.
LANGUAGES = {
    "": Language.ENGLISH,
    "en": Language.ENGLISH,
    "en-us": Language.ENGLISH,
    "en-ca": Language.ENGLISH,
    "english": Language.ENGLISH,
    "fr": Language.FRENCH,
    "fr-ca": Language.FRENCH,
    "fr-fr": Language.FRENCH,
    "french": Language.FRENCH,
    "français": Language.FRENCH,
    "francais": Language.FRENCH,
    "es": Language.SPANISH,
    "es-us": Language.SPANISH,
    "es-mx": Language.SPANISH,
    "spanish": Language.SPANISH,
    "español": Language.SPANISH,
    "espanol": Language.SPANISH,
}


# --- Import ---------------------------------------------------------------------------------------


class PurchaserRowError(ValueError):
    """A purchaser row that cannot be imported; the message says why."""


@dataclass
class PurchaserImportReport:
    rows: int = 0
    added: int = 0
    # (line number, email and order) of rows already on the list, or earlier in the file: the
    # first REPORT_LIST_LIMIT listed, all counted (`.total`).
    duplicates: LineList = field(default_factory=LineList)
    # (line number, why it was refused), likewise.
    invalid: LineList = field(default_factory=LineList)


def _product_for(products: list[Product], model: str) -> Product | None:
    model = model.strip().upper()
    if not model:
        return None
    for product in products:
        if model == product.model.upper() or model in (n.upper() for n in product.model_numbers):
            return product
    raise PurchaserRowError(f"unknown model {model!r} for this recall")


def _serial(raw: str, product: Product | None) -> str:
    if not raw.strip():
        return ""
    excluded = product.serial_excluded_letters if product else "OI"
    serial = normalise_serial(raw, excluded_letters=excluded).value
    if not serial.isascii() or not serial.isalnum() or len(serial) > 40:
        raise PurchaserRowError(f"{raw!r} is not a serial number")
    if product and len(serial) != product.serial_length:
        raise PurchaserRowError(f"{serial} is not {product.serial_length} characters long")
    return serial


def _purchaser_from_row(recall: Recall, products: list[Product], row: dict) -> Purchaser:
    email = (row.get("email") or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise PurchaserRowError(f"{email!r} is not an email address") from None
    name = (row.get("name") or "").strip()
    order_number = (row.get("order_number") or "").strip()
    if len(name) > 200 or len(order_number) > 40:
        raise PurchaserRowError("the name or the order number is too long")
    country = (row.get("country") or "").strip().upper()
    if country not in Country.values:
        raise PurchaserRowError(f"country {country!r} is not one of {', '.join(Country.values)}")
    language = LANGUAGES.get((row.get("language") or "").strip().lower().replace("_", "-"))
    if language is None:
        raise PurchaserRowError(f"language {row.get('language')!r} is not en, fr-ca or es-us")
    if not recall.offers_language(language):
        # The notice speaks a language the recall is offered in: its texts exist only in those.
        language = recall.fallback_language
    product = _product_for(products, row.get("model") or "")
    return Purchaser(
        recall=recall,
        name=name,
        email=email,
        order_number=order_number,
        product=product,
        serial=_serial(row.get("serial") or "", product),
        country=country,
        language=language,
    )


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def purchasers_import(
    *, recall: Recall, rows: Iterable[dict], actor=None, file_name: str = ""
) -> PurchaserImportReport:
    """Add known purchasers to `recall`'s list: all the good rows, or nothing on failure.

    Rows are dicts with the names of PURCHASER_CSV_COLUMNS as keys; they are read as they come,
    a chunk at a time. A purchaser is one email and order number per recall: rows already on the
    list (or earlier in the file) are reported as duplicates, invalid rows with their reason, by
    line number (the rows being lines 2, 3, ...). Importing the same list twice adds nobody.
    """
    return _purchasers_import(
        recall=recall, rows=enumerate(rows, start=2), actor=actor, file_name=file_name
    )


def purchasers_import_csv(
    *, recall: Recall, file: IO, actor=None, file_name: str = ""
) -> PurchaserImportReport:
    """Import a purchaser list CSV (columns of PURCHASER_CSV_COLUMNS; email and country needed).

    The file (binary, or text already decoded) is read row by row by the shared reader; a file
    it refuses raises CsvRefused and nothing is imported. Rows keep the file's line numbers.
    """
    reader = CsvReader(file, columns=PURCHASER_CSV_COLUMNS)
    names = [column.name for column in PURCHASER_CSV_COLUMNS]
    rows = ((line, dict(zip(names, values, strict=True))) for line, values in reader)
    return _purchasers_import(recall=recall, rows=rows, actor=actor, file_name=file_name)


@transaction.atomic
def _purchasers_import(
    *, recall: Recall, rows: Iterable[tuple[int, dict]], actor=None, file_name: str = ""
) -> PurchaserImportReport:
    report = PurchaserImportReport()
    products = list(recall.products.all())
    seen: set[tuple[str, str]] = set()
    for chunk in _chunks(rows, IMPORT_CHUNK):
        parsed: list[tuple[int, Purchaser]] = []
        for line, row in chunk:
            report.rows += 1
            try:
                parsed.append((line, _purchaser_from_row(recall, products, row)))
            except PurchaserRowError as error:
                report.invalid.append((line, str(error)))
        known = set(
            Purchaser.objects.filter(
                recall=recall, email__in={purchaser.email for _line, purchaser in parsed}
            ).values_list("email", "order_number")
        )
        new = []
        for line, purchaser in parsed:
            key = (purchaser.email, purchaser.order_number)
            if key in known or key in seen:
                report.duplicates.append((line, f"{purchaser.email} {purchaser.order_number}"))
                continue
            seen.add(key)
            new.append(purchaser)
        Purchaser.objects.bulk_create(new)
        report.added += len(new)
    audit_record(
        actor=actor,
        action=AuditAction.PURCHASERS_IMPORT,
        subject=recall,
        subject_label=recall.slug,
        recall_id=recall.pk,
        note=file_name,
        after={
            "rows": report.rows,
            "added": report.added,
            "duplicates": report.duplicates.total,
            "invalid": report.invalid.total,
        },
    )
    return report


# --- Unsubscribing and bounces --------------------------------------------------------------------

UNSUBSCRIBED_ERROR = "Not sent: the purchaser unsubscribed."


@transaction.atomic
def purchaser_unsubscribe(*, purchaser: Purchaser, now: datetime | None = None) -> int:
    """Send nothing more about this recall to this purchaser's address (every order of theirs).

    Notices already written but not sent yet are marked failed with the reason, so no worker
    sends them (a worker sending one right now holds its row: it is left as sent). Returns how
    many purchasers were newly unsubscribed; doing it twice changes nothing.
    """
    now = now or timezone.now()
    same_address = Purchaser.objects.filter(recall_id=purchaser.recall_id, email=purchaser.email)
    emails = [
        pk
        for pair in same_address.values_list("notice_email_id", "last_email_id")
        for pk in pair
        if pk
    ]
    OutboundEmail.objects.filter(pk__in=emails, state=EmailState.PENDING).update(
        state=EmailState.FAILED, last_error=UNSUBSCRIBED_ERROR
    )
    return same_address.filter(unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, next_reminder_at=None
    )


@dataclass
class BounceImportReport:
    rows: int = 0
    # Purchasers newly marked bounced (an address on several orders or recalls counts each).
    marked: int = 0
    # (line number, address) of bounces that are not hard bounces (soft, transient): left alone.
    # Each list keeps the first REPORT_LIST_LIMIT and counts all (`.total`).
    soft: LineList = field(default_factory=LineList)
    # (line number, address) of addresses that are not on the purchaser list.
    unknown: LineList = field(default_factory=LineList)
    invalid: LineList = field(default_factory=LineList)


# The names email providers give the columns of a bounce export.
BOUNCE_ADDRESS_COLUMNS = ("email", "email address", "email_address", "address", "recipient")
BOUNCE_TYPE_COLUMNS = ("type", "bounce_type", "bouncetype", "bounce type")
BOUNCE_REASON_COLUMNS = ("reason", "bounce_reason", "description", "diagnostic", "details")
# As the shared reader takes them: each under its first name, found by any of its names.
BOUNCE_CSV_COLUMNS = (
    CsvColumn("email", required=True, aliases=BOUNCE_ADDRESS_COLUMNS[1:]),
    CsvColumn("type", aliases=BOUNCE_TYPE_COLUMNS[1:]),
    CsvColumn("reason", aliases=BOUNCE_REASON_COLUMNS[1:]),
)
SOFT_BOUNCE_WORDS = ("soft", "transient", "temporary")


def _first(row: dict, names: tuple[str, ...]) -> str:
    return next((row[name] for name in names if row.get(name)), "")


def purchasers_bounced(
    *,
    rows: Iterable[dict],
    recall: Recall | None = None,
    now: datetime | None = None,
    actor=None,
    file_name: str = "",
) -> BounceImportReport:
    """Mark purchasers whose address bounced (hard bounces), so nothing more is sent to them.

    Rows come from an email provider's export: the address (email, address or recipient), and
    optionally the bounce type (soft and transient bounces are reported and left alone) and the
    reason. With `recall`, only that recall's purchasers are marked.
    """
    return _purchasers_bounced(
        rows=enumerate(rows, start=2), recall=recall, now=now, actor=actor, file_name=file_name
    )


def purchasers_bounced_csv(
    *,
    file: IO,
    recall: Recall | None = None,
    now: datetime | None = None,
    actor=None,
    file_name: str = "",
) -> BounceImportReport:
    """Record the hard bounces of an email provider's CSV export (see purchasers_bounced).

    Read row by row by the shared reader; a file it refuses raises CsvRefused, nothing recorded.
    """
    reader = CsvReader(file, columns=BOUNCE_CSV_COLUMNS)
    names = [column.name for column in BOUNCE_CSV_COLUMNS]
    rows = ((line, dict(zip(names, values, strict=True))) for line, values in reader)
    return _purchasers_bounced(rows=rows, recall=recall, now=now, actor=actor, file_name=file_name)


@transaction.atomic
def _purchasers_bounced(
    *,
    rows: Iterable[tuple[int, dict]],
    recall: Recall | None,
    now: datetime | None,
    actor=None,
    file_name: str = "",
) -> BounceImportReport:
    now = now or timezone.now()
    report = BounceImportReport()
    purchasers = Purchaser.objects.all() if recall is None else recall.purchasers.all()
    for chunk in _chunks(rows, IMPORT_CHUNK):
        hard: dict[str, tuple[int, str]] = {}
        for line, row in chunk:
            report.rows += 1
            address = _first(row, BOUNCE_ADDRESS_COLUMNS).lower()
            try:
                validate_email(address)
            except ValidationError:
                report.invalid.append((line, f"{address!r} is not an email address"))
                continue
            kind = _first(row, BOUNCE_TYPE_COLUMNS).lower()
            if any(word in kind for word in SOFT_BOUNCE_WORDS):
                report.soft.append((line, address))
                continue
            reason = _first(row, BOUNCE_REASON_COLUMNS) or kind or "bounced"
            hard.setdefault(address, (line, reason[:200]))
        known = set(purchasers.filter(email__in=hard).values_list("email", flat=True))
        for address, (line, reason) in hard.items():
            if address not in known:
                report.unknown.append((line, address))
                continue
            report.marked += purchasers.filter(email=address, bounced_at__isnull=True).update(
                bounced_at=now, bounce_reason=reason, next_reminder_at=None
            )
    audit_record(
        actor=actor,
        action=AuditAction.BOUNCES_IMPORT,
        subject=recall,
        subject_label=recall.slug if recall is not None else "",
        recall_id=recall.pk if recall is not None else None,
        note=file_name,
        after={
            "rows": report.rows,
            "marked": report.marked,
            "soft": report.soft.total,
            "unknown": report.unknown.total,
            "invalid": report.invalid.total,
        },
    )
    return report
