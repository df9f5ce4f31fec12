"""Reading recalls and their serial registries."""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import get_language

from recallcases.recalls.models import Product, Recall, RegistryEntry
from recallcases.recalls.serials import NormalisedSerial, normalise_serial, split_serial


class LanguageNotOffered(Exception):
    """A recall's page was asked for in a language the recall is not offered in; `language` is the
    one to show it in instead (consumer.middleware turns this into a redirect)."""

    def __init__(self, language: str):
        super().__init__(language)
        self.language = language


def recall_language_require(*, recall: Recall) -> Recall:
    """The recall, when the active language is one it is offered in; else LanguageNotOffered."""
    if not recall.offers_language(get_language()):
        raise LanguageNotOffered(recall.fallback_language)
    return recall


class SerialVerdict(StrEnum):
    RECALLED = "recalled"
    # Right shape, not in the registry: this unit is not part of the recall.
    NOT_RECALLED = "not_recalled"
    # Not the length of this recall's serials: not affected, but worth a second look at the label.
    WRONG_LENGTH = "wrong_length"
    # Characters that no serial has, or nothing typed.
    MALFORMED = "malformed"


@dataclass(frozen=True)
class SerialCheck:
    serial: NormalisedSerial
    verdict: SerialVerdict
    product: Product | None = None

    @property
    def is_recalled(self) -> bool:
        return self.verdict == SerialVerdict.RECALLED


def registry_entry_covering(*, recall: Recall, serial: str) -> RegistryEntry | None:
    """Return the registry entry of `recall` that holds `serial`, in one indexed query.

    Entries of one recall never overlap (the import refuses overlaps), so the entry with the
    greatest first number not above the serial's number is the only one that can hold it.
    """
    split = split_serial(serial)
    entry = (
        RegistryEntry.objects.filter(
            recall=recall,
            prefix=split.prefix,
            digits=split.digits,
            first_number__lte=split.number,
        )
        .select_related("product")
        .order_by("-first_number")
        .first()
    )
    if entry is not None and entry.last_number >= split.number:
        return entry
    return None


def serial_lookup(*, recall: Recall, raw_serial: str) -> SerialCheck:
    """Say whether the serial a consumer typed is in scope of `recall`, and for which product."""
    products = list(recall.products.all())
    excluded = "".join(sorted({letter for p in products for letter in p.serial_excluded_letters}))
    serial = normalise_serial(raw_serial, excluded_letters=excluded)
    if not serial.is_well_formed:
        return SerialCheck(serial=serial, verdict=SerialVerdict.MALFORMED)
    if len(serial.value) not in {p.serial_length for p in products}:
        return SerialCheck(serial=serial, verdict=SerialVerdict.WRONG_LENGTH)
    entry = registry_entry_covering(recall=recall, serial=serial.value)
    if entry is None:
        return SerialCheck(serial=serial, verdict=SerialVerdict.NOT_RECALLED)
    return SerialCheck(serial=serial, verdict=SerialVerdict.RECALLED, product=entry.product)


@dataclass(frozen=True)
class SerialMatch:
    """A recall whose registry holds the serial, and the check as that recall's page tells it."""

    recall: Recall
    check: SerialCheck


@dataclass(frozen=True)
class SerialSearch:
    """What the check across recalls found: nothing, one recall, or several to choose from."""

    is_well_formed: bool
    matches: tuple[SerialMatch, ...]


def serial_lookup_any(*, serial: str, recalls) -> SerialSearch:
    """Find the recalls among `recalls` whose registry holds the serial a consumer typed.

    Each recall reads the serial with its own products' rules (excluded letters, lengths), as
    its own check does; only recalls whose serials have the typed length cost a query, one
    indexed query each. Prefetch the recalls' products (`prefetch_related("products")`), or each
    recall costs a query for them too.
    """
    matches = []
    for recall in recalls:
        check = serial_lookup(recall=recall, raw_serial=serial)
        if check.is_recalled:
            matches.append(SerialMatch(recall=recall, check=check))
    return SerialSearch(
        is_well_formed=normalise_serial(serial).is_well_formed, matches=tuple(matches)
    )
