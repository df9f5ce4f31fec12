"""Direct notice: importing known purchasers, writing their notices and reminders into the outbox
at the configured rate, and recording unsubscriptions and bounces."""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from recallcases.audit.models import AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.models import Language
from recallcases.core.csv_files import CsvColumn, CsvReader, LineList
from recallcases.notices.models import NoticeEmail, Purchaser
from recallcases.notices.selectors import NOTICE_KINDS, notices_due_soon, purchaser_claimed
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import EmailDraft, outbox_enqueue, outbox_write_many
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
# Notices written per transaction when sending: a large list is written a chunk at a time.
SEND_CHUNK = 500
# Reminders after the notice, one per NOTICE_REMINDER_DAYS, then no more: a purchaser who has not
# claimed after three reminders is better reached another way (phone, mail) than by a fourth.
MAX_REMINDERS = 3
# How far ahead the beat task publishes scheduled notices (it runs every minute), and how far back
# it looks for rows the previous run may have missed; a row published twice is sent once.
PUBLISH_AHEAD = timedelta(seconds=60)
PUBLISH_BEHIND = timedelta(seconds=10)

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
        raise PurchaserRowError(f"language {row.get('language')!r} is not en or fr-ca")
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


# --- Sending --------------------------------------------------------------------------------------


@dataclass
class NoticeBatch:
    written: int = 0
    # When the first and the last of them are due to go, at the configured rate.
    first_at: datetime | None = None
    last_at: datetime | None = None


def notice_interval() -> timedelta:
    """The time between two notices: the configured rate, whatever else the outbox sends."""
    return timedelta(seconds=60 / max(settings.NOTICE_RATE_PER_MINUTE, 1))


def _schedule_start(now: datetime) -> datetime:
    # After the last notice still waiting, so that a second batch does not double the rate.
    last = OutboundEmail.objects.filter(kind__in=NOTICE_KINDS, state=EmailState.PENDING).aggregate(
        last=Max("next_attempt_at")
    )["last"]
    return max(now, last + notice_interval()) if last else now


def _eligible(*, recall: Recall, kind: str, now: datetime):
    reachable = Purchaser.objects.filter(
        recall=recall,
        unsubscribed_at__isnull=True,
        bounced_at__isnull=True,
        # The retention schedule removed the address: nothing can or may be sent.
        anonymised_at__isnull=True,
    )
    if kind == EmailKind.RECALL_NOTICE:
        return reachable.filter(notice_email__isnull=True)
    if kind == EmailKind.NOTICE_REMINDER:
        # A reminder follows a notice that went out, to someone who has not claimed since.
        return reachable.filter(
            notice_email__state=EmailState.SENT,
            next_reminder_at__lte=now,
            reminders_sent__lt=MAX_REMINDERS,
        ).exclude(purchaser_claimed())
    raise ValueError(f"{kind!r} is not a notice")


def _next_reminder(after: datetime, reminders_sent: int) -> datetime | None:
    days = settings.NOTICE_REMINDER_DAYS
    if not days or reminders_sent >= MAX_REMINDERS:
        return None
    return after + timedelta(days=days)


def notices_send(
    *,
    recall: Recall,
    kind: str,
    limit: int | None = None,
    now: datetime | None = None,
    actor=None,
) -> NoticeBatch:
    """Write the recall notice (or the reminder that is due) for each purchaser who should get one.

    Notices go to purchasers not notified yet; reminders to those notified, not claimed and due
    (one per NOTICE_REMINDER_DAYS, at most MAX_REMINDERS). Nobody unsubscribed or bounced gets
    either. At most `limit` are written, SEND_CHUNK per transaction; each row is unique per
    purchaser (and reminder), so a run repeated or run twice at once writes nothing twice.

    The rate is kept by the rows themselves: each is due 60 / NOTICE_RATE_PER_MINUTE seconds after
    the one before (after any notice still waiting), and `deliver` sends no row before it is due.
    Why not only Celery countdowns: a countdown lives in the broker, so a lost publish or a
    restart would hand the rows to the outbox sweep all at once, and a countdown may not exceed
    OUTBOX_MAX_COUNTDOWN (30 min, about 18,000 notices at 600 a minute). With the time in the row,
    the beat task `notices_tick` publishes each minute the rows due in the coming minute, with a
    countdown each, and the sweep picks up anything whose publish was lost, when it is due.
    """
    now = now or timezone.now()
    batch = NoticeBatch()
    interval = notice_interval()
    while limit is None or batch.written < limit:
        size = SEND_CHUNK if limit is None else min(SEND_CHUNK, limit - batch.written)
        with transaction.atomic():
            purchasers = list(
                _eligible(recall=recall, kind=kind, now=now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:size]
            )
            if not purchasers:
                break
            start = _schedule_start(now)
            emails = outbox_write_many(
                drafts=[
                    EmailDraft(
                        kind=kind,
                        dedupe_key=_dedupe_key(purchaser, kind),
                        recipient=purchaser.email,
                        due_at=start + i * interval,
                    )
                    for i, purchaser in enumerate(purchasers)
                ],
                # At the rate: only what is due in the coming minute, each with its countdown.
                publish=lambda ids: notices_publish(email_ids=ids),
            )
            NoticeEmail.objects.bulk_create(
                NoticeEmail(email=email, purchaser=purchaser)
                for purchaser, email in zip(purchasers, emails, strict=True)
            )
            for purchaser, email in zip(purchasers, emails, strict=True):
                _record_written(purchaser, email, now=now)
            Purchaser.objects.bulk_update(
                purchasers,
                ["notice_email", "notified_at", "last_email", "reminders_sent", "next_reminder_at"],
            )
        batch.written += len(emails)
        batch.first_at = batch.first_at or emails[0].next_attempt_at
        batch.last_at = emails[-1].next_attempt_at
    if batch.written:
        logger.info("notices: %s %s written for recall %s", batch.written, kind, recall.slug)
        # One row for the batch (its chunks commit one by one); a run that wrote none is no action.
        audit_record(
            actor=actor,
            action=AuditAction.NOTICES_SEND,
            subject=recall,
            subject_label=recall.slug,
            recall_id=recall.pk,
            after={"kind": kind, "written": batch.written},
        )
    return batch


def _dedupe_key(purchaser: Purchaser, kind: str) -> str:
    if kind == EmailKind.RECALL_NOTICE:
        return f"notice:{purchaser.pk}"
    return f"notice-reminder:{purchaser.pk}:{purchaser.reminders_sent + 1}"


def _record_written(purchaser: Purchaser, email: OutboundEmail, *, now: datetime) -> None:
    purchaser.last_email = email
    if email.kind == EmailKind.RECALL_NOTICE:
        purchaser.notice_email, purchaser.notified_at = email, now
    else:
        purchaser.reminders_sent += 1
    # Counted from when the email is due to go, not from when it was written.
    purchaser.next_reminder_at = _next_reminder(email.next_attempt_at, purchaser.reminders_sent)


def notices_publish(*, now: datetime | None = None, email_ids=None) -> list[tuple[int, float]]:
    """Hand to workers the notices due in the coming minute, each with its countdown.

    Returns (email id, countdown in seconds) for each row handed over. With tasks run in-process
    (no broker) a countdown would be ignored, so only rows due now are handed over; `outbox_send`
    (cron) sends the others when they are due.
    """
    now = now or timezone.now()
    due = notices_due_soon(
        now=now, since=now - PUBLISH_BEHIND, until=now + PUBLISH_AHEAD, email_ids=email_ids
    )
    published = []
    for email_id, countdown in due:
        if countdown > 0 and settings.CELERY_TASK_ALWAYS_EAGER:
            continue
        if outbox_enqueue(email_id=email_id, countdown=countdown or None):
            published.append((email_id, countdown))
    return published


def notices_tick(*, now: datetime | None = None) -> tuple[int, int]:
    """What beat runs each minute: write the reminders due, publish the notices due soon.

    Reminders are written for open recalls only, at most a minute's worth per recall per run, so
    a backlog is worked off at the rate instead of in one long transaction.
    """
    now = now or timezone.now()
    written = 0
    recalls = Recall.objects.open_to_claims().filter(
        pk__in=Purchaser.objects.filter(next_reminder_at__lte=now).values("recall_id")
    )
    for recall in recalls:
        written += notices_send(
            recall=recall,
            kind=EmailKind.NOTICE_REMINDER,
            limit=settings.NOTICE_RATE_PER_MINUTE,
            now=now,
        ).written
    return written, len(notices_publish(now=now))


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
