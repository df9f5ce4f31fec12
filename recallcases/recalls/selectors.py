"""Reading recalls and their serial registries."""

import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

from django.core.cache import cache
from django.db import connections, router, transaction
from django.utils.translation import get_language

from recallcases.recalls.models import Product, ProofItem, Recall, RegistryEntry
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


# An open recall with its products, as the public pages read it on every request, is kept in the
# cache (shared by every server) for this long, and forgotten at once when a recall or one of its
# products is saved or deleted (recalls.apps); the time bounds what a bulk update() leaves stale.
RECALL_CACHE_SECONDS = 300
# The key carries the tables' columns, so that a release that adds one never unpickles an old
# shape, and the database's name, so that two sites sharing one Redis (a staging site, a test run)
# never read each other's recalls.
_RECALL_CACHE_SHAPE = hashlib.sha256(
    repr(
        [f.attname for model in (Recall, Product, ProofItem) for f in model._meta.concrete_fields]
    ).encode()
).hexdigest()[:12]


def _recall_cache_key(slug: str | None = None, *, pk: int | None = None) -> str:
    """The key of the open recall at `slug`, of the recall `pk` (open or not), or with neither,
    of the list of every open recall."""
    database = connections[router.db_for_read(Recall)].settings_dict["NAME"]
    if pk is not None:
        return f"recall:{_RECALL_CACHE_SHAPE}:{database}:{pk}"
    if slug is None:
        return f"recalls-open:{_RECALL_CACHE_SHAPE}:{database}"
    return f"recall-open:{_RECALL_CACHE_SHAPE}:{database}:{slug}"


def recalls_open() -> list[Recall]:
    """Every recall open to claims, newest first, each with its products and a `page_version`
    (see recall_open_by_slug); from the cache when it is there, forgotten with any recall's
    copy. The home page and the check across recalls read them on every request."""
    return _recall_copies_kept(
        _recall_cache_key(None),
        lambda: list(Recall.objects.open_to_claims().prefetch_related("products")),
    )


def recall_open_by_slug(*, slug: str) -> Recall | None:
    """The recall open to claims at `slug`, with its products and proof items, or None; from the
    cache when it is there. Its `page_version` names this copy: what pages cache of it carries
    that name, so a change of the recall, its products or its proof items (a new copy) is never
    shown with an older rendering."""
    return _recall_copies_kept(
        _recall_cache_key(slug),
        lambda: (
            Recall.objects.open_to_claims()
            .prefetch_related("products", "proof_items")
            .filter(slug=slug)
            .first()
        ),
    )


def recall_by_pk(*, pk: int) -> Recall | None:
    """The recall `pk`, open or not, with its products and proof items, or None; from the cache
    when it is there, kept and forgotten as `recall_open_by_slug` keeps its copies (a claim's
    status page reads its recall this way: claims outlive a recall's opening)."""
    return _recall_copies_kept(
        _recall_cache_key(pk=pk),
        lambda: Recall.objects.prefetch_related("products", "proof_items").filter(pk=pk).first(),
    )


def _recall_copies_kept(key: str, load):
    """What the cache holds at `key`, else what `load` reads (a recall, a list of them or None),
    each recall read named with a new `page_version` and kept; None is not kept."""
    kept = cache.get(key)
    if kept is None:
        kept = load()
        if kept is None:
            return None
        for recall in kept if isinstance(kept, list) else [kept]:
            recall.page_version = uuid.uuid4().hex
        cache.set(key, kept, RECALL_CACHE_SECONDS)
    return kept


def recall_cache_forget(*, slugs: list[str], pks: list[int] = ()) -> None:
    """Drop the cached copies of the recalls at `slugs` and of the recalls `pks` (after a change
    of them or their products), and the list of open recalls: now, and again when the transaction
    commits, since a page may have cached the old rows in between."""
    keys = [_recall_cache_key(slug) for slug in [*slugs, None]]
    keys += [_recall_cache_key(pk=pk) for pk in pks]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def registry_product_covering(*, recall: Recall, serial: str) -> int | None:
    """The id of the product whose entry in `recall`'s registry holds `serial`, or None, in one
    indexed query.

    Entries of one recall never overlap (the import refuses overlaps), so the entry with the
    greatest first number not above the serial's number is the only one that can hold it. Only
    two of its columns are read: the product is the recall's own, which the caller has.
    """
    split = split_serial(serial)
    entry = (
        RegistryEntry.objects.filter(
            recall_id=recall.pk,
            prefix=split.prefix,
            digits=split.digits,
            first_number__lte=split.number,
        )
        .order_by("-first_number")
        .values_list("product_id", "last_number")
        .first()
    )
    if entry is not None and entry[1] >= split.number:
        return entry[0]
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
    product_id = registry_product_covering(recall=recall, serial=serial.value)
    if product_id is None:
        return SerialCheck(serial=serial, verdict=SerialVerdict.NOT_RECALLED)
    # The registry's products are the recall's, read with it (on PostgreSQL the entry's foreign
    # key says so); a row that names another (SQLite has no such key) costs a query for it.
    product = next((p for p in products if p.pk == product_id), None)
    if product is None:
        product = Product.objects.get(pk=product_id)
    return SerialCheck(serial=serial, verdict=SerialVerdict.RECALLED, product=product)


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
