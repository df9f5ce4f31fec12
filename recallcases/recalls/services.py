"""Changing recalls and their serial registries."""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction

from recallcases.recalls.models import Product, Recall, RegistryEntry
from recallcases.recalls.serials import normalise_serial, split_serial

REGISTRY_CSV_COLUMNS = ("model", "first_serial", "last_serial")
# A range larger than this is almost certainly a typo in one of its ends.
MAX_RANGE_SIZE = 10_000_000


class RegistryRowError(ValueError):
    """A registry row that cannot be imported; the message says why."""


@dataclass
class RegistryImportReport:
    rows: int = 0
    entries_added: int = 0
    units_added: int = 0
    # (line number, what was on it) for rows overlapping the registry or an earlier row.
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    # (line number, why it was refused)
    invalid: list[tuple[int, str]] = field(default_factory=list)


def _product_for(recall_products: list[Product], model: str) -> Product:
    model = model.strip().upper()
    for product in recall_products:
        if model == product.model.upper() or model in (n.upper() for n in product.model_numbers):
            return product
    raise RegistryRowError(f"unknown model {model!r} for this recall")


def _parse_serial(product: Product, raw: str) -> str:
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


def _parse_row(products: list[Product], row: dict) -> RegistryEntry:
    product = _product_for(products, row.get("model") or "")
    first = _parse_serial(product, row.get("first_serial") or "")
    last = _parse_serial(product, row.get("last_serial") or first)
    start, end = split_serial(first), split_serial(last)
    if (start.prefix, start.digits) != (end.prefix, end.digits):
        raise RegistryRowError(f"{first} and {last} differ before their trailing digits")
    if start.number > end.number:
        raise RegistryRowError(f"{first} comes after {last}")
    if end.number - start.number + 1 > MAX_RANGE_SIZE:
        raise RegistryRowError(f"{first} to {last} holds more than {MAX_RANGE_SIZE:,} serials")
    return RegistryEntry(
        product=product,
        prefix=start.prefix,
        digits=start.digits,
        first_number=start.number,
        last_number=end.number,
    )


def _overlaps_registry(recall: Recall, entry: RegistryEntry) -> bool:
    # Entries never overlap, so only the nearest entry starting at or before the new range's
    # end can reach into it: it overlaps if it ends at or after the new range's start.
    nearest = (
        RegistryEntry.objects.filter(
            recall=recall,
            prefix=entry.prefix,
            digits=entry.digits,
            first_number__lte=entry.last_number,
        )
        .order_by("-first_number")
        .values_list("last_number", flat=True)
        .first()
    )
    return nearest is not None and nearest >= entry.first_number


@transaction.atomic
def registry_import(
    *, recall: Recall, rows: Iterable[dict], is_demo: bool = False
) -> RegistryImportReport:
    """Add serials and ranges to `recall`'s registry: all the good rows, or nothing on failure.

    Rows are dicts with `model` (model or model number), `first_serial` and an optional
    `last_serial`. Invalid rows and rows overlapping the registry or an earlier row are skipped
    and reported by line number (the header is line 1).
    """
    report = RegistryImportReport()
    products = list(recall.products.all())
    accepted: list[tuple[int, RegistryEntry]] = []
    for line, row in enumerate(rows, start=2):
        report.rows += 1
        try:
            entry = _parse_row(products, row)
        except RegistryRowError as error:
            report.invalid.append((line, str(error)))
            continue
        entry.recall, entry.is_demo = recall, is_demo
        if _overlaps_registry(recall, entry):
            report.duplicates.append((line, str(entry)))
            continue
        accepted.append((line, entry))

    # Overlaps between rows of the same file: walk each prefix's ranges in order.
    accepted.sort(key=lambda item: (item[1].prefix, item[1].digits, item[1].first_number))
    kept: list[RegistryEntry] = []
    for line, entry in accepted:
        previous = kept[-1] if kept else None
        if (
            previous is not None
            and (previous.prefix, previous.digits) == (entry.prefix, entry.digits)
            and entry.first_number <= previous.last_number
        ):
            report.duplicates.append((line, str(entry)))
            continue
        kept.append(entry)
    report.duplicates.sort()

    RegistryEntry.objects.bulk_create(kept, batch_size=5000)
    report.entries_added = len(kept)
    report.units_added = sum(entry.size for entry in kept)
    return report


def registry_import_csv(*, recall: Recall, file: TextIO, is_demo: bool = False):
    """Import a registry CSV whose header names the columns of REGISTRY_CSV_COLUMNS."""
    reader = csv.DictReader(file)
    header = {name.strip().lower() for name in reader.fieldnames or ()}
    missing = {"model", "first_serial"} - header
    if missing:
        raise RegistryRowError(
            f"the CSV header must name the columns {', '.join(REGISTRY_CSV_COLUMNS)}; "
            f"missing: {', '.join(sorted(missing))}"
        )
    rows = (
        {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader
    )
    return registry_import(recall=recall, rows=rows, is_demo=is_demo)


@transaction.atomic
def recall_load(*, data: dict) -> Recall:
    """Create or update a recall and its products from a dict (see recalls/data/*.json).

    Every field is validated before anything is saved; raises ValidationError or KeyError.
    """
    fields = dict(data["recall"])
    slug = fields.pop("slug")
    recall = Recall.objects.filter(slug=slug).first() or Recall(slug=slug)
    _assign_and_save(recall, fields)
    for product_fields in data["products"]:
        product_fields = dict(product_fields)
        model = product_fields.pop("model")
        product = Product.objects.filter(recall=recall, model=model).first() or Product(
            recall=recall, model=model
        )
        _assign_and_save(product, product_fields)
    return recall


def _assign_and_save(instance, fields: dict) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
