"""Reading claims."""

import functools
import operator
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from disposable_email_domains import blocklist
from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recallcases.audit.models import AuditEntry
from recallcases.audit.selectors import audit_entries_of_claim
from recallcases.claims.lifecycle import ENDED_STATUSES, STATUSES, Waits, waiting_for
from recallcases.claims.models import (
    Claim,
    ClaimDayTally,
    ClaimEvent,
    ClaimLink,
    ClaimPhoto,
    ClaimPromiseTally,
    ClaimTally,
)
from recallcases.claims.tokens import hash_access_token, normalise_reference
from recallcases.core.business_days import last_start_overdue
from recallcases.core.csv_files import csv_lines
from recallcases.recalls.models import Recall
from recallcases.recalls.selectors import recall_by_pk
from recallcases.recalls.serials import normalise_serial


class LinkState(StrEnum):
    """What a private status link does now."""

    OPEN = "open"  # it opens the claim
    # The claim ended (closed, rejected, withdrawn) more than STATUS_LINK_DAYS_AFTER_END days ago.
    EXPIRED = "expired"
    REVOKED = "revoked"  # staff revoked it and emailed a new one


@dataclass(frozen=True)
class StatusLink:
    """The claim a private link belongs to, and whether it still opens it."""

    claim: Claim
    state: LinkState
    # No revocation of the claim's links can have happened since then: a revocation revokes every
    # live link, so a link that is not revoked was made after the last one (the link shown at
    # filing: after none). Lets a page that saw the claim at a later moment skip asking again.
    unrevoked_since: datetime | None = None


def status_link_lookup(*, token: str, now: datetime | None = None) -> StatusLink | None:
    """The claim whose private link carries `token` and the link's state, or None when no
    claim's link does. Compares hashes only.

    A link expires STATUS_LINK_DAYS_AFTER_END days after the claim ended (reached a status where
    its life is over); a reopened claim's links work again. A revoked link stays revoked.
    """
    if not token or len(token) > 100:
        return None
    token_hash = hash_access_token(token)
    # Two unique-index lookups: an OR across the join to links would scan every claim. The
    # recall comes from the cache: a join to it would cost more to build than the query to run.
    claim = _claim_by_token_hash(token_hash)
    if claim is not None:
        revoked = claim.access_token_revoked_at is not None
        made_at = claim.created_at
    else:
        link = ClaimLink.objects.select_related("claim").filter(token_hash=token_hash).first()
        if link is None:
            return None
        claim, revoked, made_at = link.claim, link.revoked_at is not None, link.created_at
    if (recall := recall_by_pk(pk=claim.recall_id)) is not None:
        claim.recall = recall
    if revoked:
        return StatusLink(claim=claim, state=LinkState.REVOKED)
    if _link_expired(claim=claim, now=now or timezone.now()):
        return StatusLink(claim=claim, state=LinkState.EXPIRED)
    return StatusLink(claim=claim, state=LinkState.OPEN, unrevoked_since=made_at)


def _claim_by_token_hash(token_hash: str) -> Claim | None:
    """The claim whose own link has this hash, or None: one row read by SQL built once."""
    sql, compiler, converters = _claim_by_token_hash_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:  # SQLite's dates and times; PostgreSQL's types need none
        row = next(compiler.apply_converters([row], converters))
    return Claim.from_db(connection.alias, _CLAIM_COLUMNS, row)


# A claim's columns as the ORM selects them all: in the order of its concrete fields.
_CLAIM_COLUMNS = tuple(field.attname for field in Claim._meta.concrete_fields)


@functools.cache
def _claim_by_token_hash_query(vendor: str) -> tuple[str, SQLCompiler, dict]:
    """The SQL of the claim whose link hash is a parameter, its compiler and the converters of
    its columns, built by the ORM once per database kind. Profiled, building the query took the
    status page more time than PostgreSQL took to run it (a third of the page), and reading its
    row as a raw query matched the columns to the fields again on every request (a twentieth;
    ADR 0010)."""
    placeholder = "%s"
    query = Claim.objects.filter(access_token_hash=placeholder)[:1].query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if params != (placeholder,):  # the hash is the query's one parameter, nothing else is
        raise RuntimeError(f"Unexpected parameters of the link's query: {params!r}")
    selected = [expression for expression, _sql, _alias in compiler.select]
    if tuple(expression.target.attname for expression in selected) != _CLAIM_COLUMNS:
        raise RuntimeError("The link's query selects other columns than the claim's fields")
    return sql, compiler, compiler.get_converters(selected)


def _link_expired(*, claim: Claim, now: datetime) -> bool:
    if claim.status not in ENDED_STATUSES:
        return False
    # When the claim reached the status it is in: its latest event to it.
    ended_at = (
        claim.events.filter(to_status=claim.status)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    days = timedelta(days=settings.STATUS_LINK_DAYS_AFTER_END)
    return ended_at is not None and ended_at + days <= now


def claim_links_revoked_since(*, claim_id: int, moment: datetime) -> bool:
    """Whether staff revoked the claim's links after `moment`: a browser that opened the claim
    before then (perhaps through a leaked link) is shown nothing more of it."""
    return (
        Claim.objects.filter(pk=claim_id, access_token_revoked_at__gt=moment).exists()
        or ClaimLink.objects.filter(claim_id=claim_id, revoked_at__gt=moment).exists()
    )


def claim_by_access_token(*, token: str) -> Claim | None:
    """The claim whose private link carries `token`, or None, also when the link has expired or
    was revoked. Compares hashes only."""
    link = status_link_lookup(token=token)
    return link.claim if link is not None and link.state == LinkState.OPEN else None


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    recall_id: int | None = None
    product_id: int | None = None
    country: str = ""
    older_than_days: int | None = None
    signal: str = ""
    # Only claims past a date their recall promised (claims_overdue).
    overdue: bool = False
    search: str = ""
    # Whether the search may match contact details (email, name): only for staff who may see them,
    # or the search itself would tell a reviewer who filed a claim (ADR 0004).
    search_contacts: bool = False
    order: str = "created_at"


# What the queue may be sorted by, oldest first by default: the longest-waiting claim comes first.
QUEUE_ORDERS = {
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
    "updated_at": ("updated_at", "pk"),
    "-updated_at": ("-updated_at", "-pk"),
    "reference": ("reference",),
}


def _search(claims, text: str, *, contacts: bool):
    text = text.strip()
    if not text:
        return claims
    serial = normalise_serial(text).value
    matches = Q(reference=normalise_reference(text)) | Q(serial=serial)
    if contacts:
        matches |= Q(email=text.lower()) | Q(name__icontains=text)
    return claims.filter(matches)


# What a row of the staff queue shows (templates/workspace/queue.html), and nothing more: the
# signals are annotations of the same query, the filters and orders are SQL only.
QUEUE_COLUMNS = (
    "reference",
    "status",
    "serial",
    "name",
    "region",
    "country",
    "created_at",
    "product__model",
)


def claim_queue(*, filters: QueueFilters):
    """Claims for the staff queue, filtered, with their signals, in one query (plus paging).
    Only the columns a row shows are read (QUEUE_COLUMNS): a 50-row page builds 100 model
    instances, not 200 with every column of the claim, its recall and its registry product."""
    claims = with_signals(Claim.objects.select_related("product").only(*QUEUE_COLUMNS))
    claims = _filtered(claims, filters)
    if filters.status:
        claims = claims.filter(status=filters.status)
    return claims.order_by(*QUEUE_ORDERS.get(filters.order, QUEUE_ORDERS["created_at"]))


def _filtered(claims, filters: QueueFilters):
    if filters.recall_id:
        claims = claims.filter(recall_id=filters.recall_id)
    if filters.product_id:
        claims = claims.filter(product_id=filters.product_id)
    if filters.country:
        claims = claims.filter(country=filters.country)
    if filters.older_than_days:
        claims = claims.filter(
            created_at__lte=timezone.now() - timedelta(days=filters.older_than_days)
        )
    if filters.signal:
        claims = filter_by_signal(claims, filters.signal)
    if filters.overdue:
        claims = claims_overdue(claims, now=timezone.now())
    return _search(claims, filters.search, contacts=filters.search_contacts)


def promise_cutoff(*, days: int, now: datetime) -> datetime:
    """Claims filed before this moment (UTC) are past a promise of `days` business days today."""
    start = last_start_overdue(today=now.astimezone(UTC).date(), days=days)
    return datetime.combine(start + timedelta(days=1), time.min, tzinfo=UTC)


def claims_overdue(claims: QuerySet, *, now: datetime) -> QuerySet:
    """The `claims` past a date their recall promised (Recall.promised_business_days): filed
    longer ago than the business days promised for a step they never reached, neither over nor
    waiting for the consumer. One query (and one for the recalls' promises): the business days
    become a filing cut-off per recall and step, the rest is SQL."""
    overdue = []
    promises = Recall.objects.exclude(promised_business_days={}).values_list(
        "pk", "promised_business_days"
    )
    for recall_id, promised in promises:
        for status, days in promised.items():
            if status not in STATUSES:
                continue
            reached = ClaimEvent.objects.filter(claim=OuterRef("pk"), to_status=status)
            overdue.append(
                Q(recall_id=recall_id, created_at__lt=promise_cutoff(days=days, now=now))
                & ~Q(Exists(reached))
            )
    if not overdue:
        return claims.none()
    return (
        claims.filter(functools.reduce(operator.or_, overdue))
        .exclude(status__in=ENDED_STATUSES)
        .exclude(waiting_for(Waits.CONSUMER))
    )


def overdue_count(*, recall: Recall, now: datetime) -> int:
    """How many of the recall's claims are past a date it promised now, as `claims_overdue`
    finds them: from the promise tallies (a few hundred rows) when the database keeps them, else
    counted from the claims. No query when the recall promises nothing."""
    promised = {
        status: days
        for status, days in (recall.promised_business_days or {}).items()
        if status in STATUSES
    }
    if not promised:
        return 0
    if not tallies_kept():
        return claims_overdue(Claim.objects.filter(recall=recall), now=now).count()
    # Filed before promise_cutoff's midnight (UTC, as the tallies' days) is filed by `last`.
    today = now.astimezone(UTC).date()
    lasts = [
        (status, last_start_overdue(today=today, days=days)) for status, days in promised.items()
    ]
    skipped = set(ENDED_STATUSES) | {
        status
        for status, entry in STATUSES.items()
        if entry.waits_for(disposal_first=recall.disposal_before_shipping) == Waits.CONSUMER
    }
    overdue = 0
    for row in claim_promise_tallies(recall_id=recall.pk):
        if row["status"] in skipped:
            continue
        reached = row["reached"].split()
        if any(row["filed_on"] <= last and status not in reached for status, last in lasts):
            overdue += row["claims"]
    return overdue


@dataclass(frozen=True)
class StatusCounts:
    """How many claims of each status match the queue's filters."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def of(self, status: str) -> int:
        return self.counts.get(status, 0)


def status_counts(*, filters: QueueFilters) -> StatusCounts:
    """How many claims of each status match the filters (all but the status), in one query: from
    the claim tallies when they can answer (no filter but recall, product and country), so a
    queue of a million claims is not counted on every page; else counted from the claims."""
    tallied = replace(
        filters, status="", order="", search_contacts=False, recall_id=None, product_id=None,
        country="",
    ) == QueueFilters(order="")  # fmt: skip
    if tallied and tallies_kept():
        rows = claim_tallies(
            recall_id=filters.recall_id, product_id=filters.product_id, country=filters.country
        )
        return StatusCounts(_sum_by(rows, "status"))
    claims = with_signals(Claim.objects.all()) if filters.signal else Claim.objects.all()
    claims = _filtered(claims, filters)
    rows = claims.order_by().values("status").annotate(n=Count("pk"))
    return StatusCounts({row["status"]: row["n"] for row in rows})


def _sum_by(rows: list[dict], key: str) -> dict:
    sums: dict = {}
    for row in rows:
        sums[row[key]] = sums.get(row[key], 0) + row["claims"]
    return sums


# --- The claim tallies (ClaimTally, ClaimDayTally), kept by the database -------------------------


def tallies_kept() -> bool:
    """Whether the database keeps the claim tallies: on PostgreSQL (migration 0013's trigger),
    whose days are UTC, the site's time zone. Elsewhere (SQLite for `make run`) figures are
    counted from the claims."""
    return connection.vendor == "postgresql" and settings.TIME_ZONE == "UTC"


def claim_tallies(
    *, recall_id: int | None = None, product_id: int | None = None, country: str = ""
) -> list[dict]:
    """Claims by recall, product, country, status, remedy, remedied, disposal confirmed and on the
    purchaser list (`claims` in each), from the tallies: one query over a few rows per group."""
    rows = ClaimTally.objects.all()
    if recall_id:
        rows = rows.filter(recall_id=recall_id)
    if product_id:
        rows = rows.filter(product_id=product_id)
    if country:
        rows = rows.filter(country=country)
    group = (
        "recall_id", "product_id", "country", "status", "remedy", "remedied", "disposal_confirmed",
        "on_list",
    )  # fmt: skip
    summed = rows.values(*group).annotate(n=Sum("claims")).order_by()
    return [{**{k: row[k] for k in group}, "claims": row["n"]} for row in summed if row["n"]]


def claim_day_tallies(*, recall_id: int, metrics: list[str]) -> list[dict]:
    """Claims of a recall by country, channel, remedy, day (UTC) and metric (DayMetric: filed,
    remedied, disposal confirmed), `claims` in each, from the tallies: one query."""
    group = ("country", "channel", "remedy", "day", "metric")
    summed = (
        ClaimDayTally.objects.filter(recall_id=recall_id, metric__in=metrics)
        .values(*group)
        .annotate(n=Sum("claims"))
        .order_by()
    )
    return [{**{k: r[k] for k in group}, "claims": r["n"]} for r in summed if r["n"]]


def claim_promise_tallies(*, recall_id: int) -> list[dict]:
    """Claims of a recall by day filed, status, statuses reached (`Claim.reached`) and day
    remedied (None: not remedied), `claims` in each, from the tallies: one query."""
    group = ("filed_on", "status", "reached", "remedied_on")
    summed = (
        ClaimPromiseTally.objects.filter(recall_id=recall_id)
        .values(*group)
        .annotate(n=Sum("claims"))
        .order_by()
    )
    return [{**{k: r[k] for k in group}, "claims": r["n"]} for r in summed if r["n"]]


def claim_for_staff(*, reference: str) -> Claim | None:
    """One claim with what its staff page shows: signals, photos, events, shipments, audit rows."""
    claim = (
        with_signals(Claim.objects.select_related("recall", "product", "registry_product"))
        .prefetch_related(
            Prefetch("events", queryset=ClaimEvent.objects.select_related("actor")),
            Prefetch("photos", queryset=ClaimPhoto.objects.select_related("proof_item")),
            "shipments",
            "emails",
        )
        .filter(reference=normalise_reference(reference))
        .first()
    )
    if claim is not None:
        # One query for all of them, however many (shipments, uploads, serial corrections, retries).
        claim.audit_entries = audit_entries_of_claim(claim_id=claim.pk)
    return claim


def staff_timeline(claim: Claim) -> list[ClaimEvent | AuditEntry]:
    """A claim's status events and the audit rows about it, oldest first, from `claim_for_staff`."""
    return sorted(
        [*claim.events.all(), *getattr(claim, "audit_entries", [])], key=lambda row: row.created_at
    )


def next_claim_to_review(*, after: Claim) -> Claim | None:
    """The longest-waiting claim that needs a reviewer, other than `after`."""
    return (
        Claim.objects.filter(waiting_for(Waits.REVIEW))
        .exclude(pk=after.pk)
        .order_by("created_at", "pk")
        .only("reference")
        .first()
    )


# Fraud signals for reviewers: what makes a claim worth a second look.
#
# Not Django signals: these are the hints recall programs watch for (invented or reused serials, one
# photo used for many claims, throwaway email addresses, many claims to one address).
# Three claims or more to one address is unusual for a speaker sold one or two to a household.
MANY_AT_ONE_ADDRESS = 3

# name → what the reviewer reads
SIGNALS = {
    "registry_mismatch": _("Serial not in the registry, or of another product"),
    "same_serial": _("Same serial on another claim"),
    "same_email": _("Same email on another claim"),
    "same_address": _("Same address on another claim"),
    "many_at_address": _("Many claims to one address"),
    "same_photo": _("Identical photo on another claim"),
    "disposable_email": _("Disposable email address"),
}


def is_disposable_email(email: str) -> bool:
    """Whether the address belongs to a known throwaway email service."""
    return email.rsplit("@", 1)[-1].strip().lower() in blocklist


def _other_claims(**same):
    others = Claim.objects.filter(**{field: OuterRef(field) for field in same}).exclude(
        pk=OuterRef("pk")
    )
    # Details blanked by the retention schedule are not the same details: they match nothing.
    for field in same.keys() & {"email", "address_key"}:
        others = others.exclude(**{field: ""})
    return others


def with_signals(claims: QuerySet) -> QuerySet:
    """Annotate each claim with its signals (one boolean per name in SIGNALS), in the same query."""
    address_count = (
        Claim.objects.filter(address_key=OuterRef("address_key"))
        .exclude(address_key="")
        .values("address_key")
        .annotate(n=Count("pk"))
        .values("n")
    )
    photo_hashes = ClaimPhoto.objects.filter(claim=OuterRef(OuterRef("pk"))).values("source_sha256")
    return claims.annotate(
        registry_mismatch=ExpressionWrapper(
            Q(registry_product__isnull=True) | ~Q(registry_product=F("product")),
            output_field=BooleanField(),
        ),
        same_serial=Exists(_other_claims(recall=True, serial=True)),
        same_email=Exists(_other_claims(email=True)),
        same_address=Exists(_other_claims(address_key=True)),
        address_claims=Coalesce(Subquery(address_count, output_field=IntegerField()), Value(0)),
        many_at_address=ExpressionWrapper(
            Q(address_claims__gte=MANY_AT_ONE_ADDRESS), output_field=BooleanField()
        ),
        same_photo=Exists(
            ClaimPhoto.objects.filter(source_sha256__in=photo_hashes).exclude(claim=OuterRef("pk"))
        ),
        disposable_email=F("email_disposable"),
    )


def signals_of(claim) -> list[str]:
    """The readable signals of a claim annotated by `with_signals`."""
    return [label for name, label in SIGNALS.items() if getattr(claim, name, False)]


def filter_by_signal(claims: QuerySet, name: str) -> QuerySet:
    """Claims annotated by `with_signals` that raise the signal `name`."""
    if name not in SIGNALS:
        return claims
    return claims.filter(**{name: True})


# --- The shipping list as a CSV file --------------------------------------------------------------

# What the shipping partner receives, in this order: the header line, then one line per claim.
SHIPPING_COLUMNS = (
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


def shipping_csv(*, claims: QuerySet[Claim]) -> Iterator[str]:
    """The CSV lines of the shipping list for `claims`: a header, then one line per claim.

    Reads only the exported columns (never the access token's hash), in chunks, so a list of
    50,000 claims does not sit in memory; every cell is formula-safe.
    """
    rows = claims.values_list(*(column for _header, column in SHIPPING_COLUMNS))
    return csv_lines(
        header=[header for header, _column in SHIPPING_COLUMNS],
        rows=rows.iterator(chunk_size=EXPORT_CHUNK_SIZE),
    )


def claim_proof_missing(claim: Claim) -> list[str]:
    """The codes of the required proof photos of `claim`'s recall that the claim has none of."""
    return list(
        claim.recall.proof_items.filter(required=True)
        .exclude(
            # Not NULL: `NOT IN` a list holding NULL is never true.
            pk__in=ClaimPhoto.objects.filter(claim=claim, proof_item__isnull=False).values(
                "proof_item_id"
            )
        )
        .values_list("code", flat=True)
    )
