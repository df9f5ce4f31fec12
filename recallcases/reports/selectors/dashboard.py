"""The recall manager's dashboard of one recall, as it stands now: units in scope, claims by status,
country and product, units remedied and disposals confirmed, and the correction rate week by week.

The figures mean what `figures` says; the dashboard counts each of them up to now, the monthly
reports up to a month's end, from the same definitions.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.functional import Promise

from recallcases.claims.models import Claim, ClaimStatus, DayMetric
from recallcases.claims.selectors import claim_day_tallies, claim_tallies, tallies_kept
from recallcases.recalls.models import Country, Product, Recall
from recallcases.reports.selectors.figures import (
    Rate,
    claims_with_remedy_dates,
    is_disposal_confirmed,
    is_remedied,
    overdue_count,
    sent_notices,
    shipped_on_time_by_week,
    units_in_scope_by_country,
)


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str | Promise
    claims: int


@dataclass(frozen=True)
class CountryProgress:
    country: str
    label: str | Promise
    units_in_scope: int
    claims: int
    remedied: int
    disposals_confirmed: int

    @property
    def correction_rate(self) -> Rate:
        return Rate(self.remedied, self.units_in_scope)


@dataclass(frozen=True)
class ProductProgress:
    """Claims and units remedied for one product (its units in scope are not known)."""

    product: Product
    claims: int
    remedied: int
    disposals_confirmed: int


@dataclass(frozen=True)
class WeekPoint:
    """The correction rate at the end of one ISO week, cumulative."""

    monday: date
    remedied: int
    rate: Rate

    @property
    def label(self) -> str:
        year, week, _day = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass(frozen=True)
class OnTimeWeek:
    """The remedies shipped in one ISO week, and the share of them shipped by the promised date."""

    monday: date
    rate: Rate

    @property
    def label(self) -> str:
        year, week, _day = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class RemedyProgress:
    """Claims and units corrected by one remedy the recall offers."""

    remedy: str
    label: str
    claims: int
    remedied: int


@dataclass(frozen=True)
class Dashboard:
    recall: Recall
    units_in_scope: int
    claims: int
    notices_sent: int
    remedied: int
    disposals_confirmed: int
    by_status: list[StatusCount]
    by_country: list[CountryProgress]
    by_product: list[ProductProgress]
    weekly: list[WeekPoint]
    # Promised dates (Recall.promised_business_days): claims past one now, and the share shipped
    # on time week by week (empty when the recall promises no shipping date).
    by_remedy: list[RemedyProgress]
    overdue: int = 0
    on_time: tuple[OnTimeWeek, ...] = ()

    @property
    def correction_rate(self) -> Rate:
        return Rate(self.remedied, self.units_in_scope)


def recalls_for_reports() -> QuerySet[Recall]:
    """Every recall with `claim_count`, for the list of dashboards: one query."""
    return Recall.objects.annotate(claim_count=Count("claims")).order_by("-announced_on", "slug")


def recall_dashboard(*, recall: Recall, today: date | None = None) -> Dashboard:
    """The recall manager's dashboard of `recall`, now: six queries however many claims.

    Claims by status, country and product come from one grouped query (each group with its units
    remedied and disposals confirmed); the weekly trend from one more, by the ISO week in which
    each claim's remedy first shipped; notices sent count distinct purchasers; the claims past a
    promised date and the share shipped on time one each. On PostgreSQL all but the notices read
    the claim tallies the database keeps (a few hundred rows, at any number of claims).
    """
    by_status: dict[str, int] = defaultdict(int)
    by_country: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_product: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_remedy: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group in claim_groups(recall):
        by_status[group["status"]] += group["claims"]
        by_remedy[group["remedy"]][0] += group["claims"]
        by_remedy[group["remedy"]][1] += group["remedied"]
        for totals in (by_country[group["country"]], by_product[group["product_id"]]):
            totals[0] += group["claims"]
            totals[1] += group["remedied"]
            totals[2] += group["disposals"]

    units = units_in_scope_by_country(recall)
    countries = [code for code in Country.values if code in units or code in by_country]
    products = list(recall.products.order_by("model"))
    remedied = sum(totals[1] for totals in by_country.values())
    return Dashboard(
        recall=recall,
        units_in_scope=recall.units_affected,
        claims=sum(by_status.values()),
        notices_sent=sent_notices(recall).aggregate(n=Count("purchaser_id", distinct=True))["n"],
        remedied=remedied,
        disposals_confirmed=sum(totals[2] for totals in by_country.values()),
        by_status=[
            StatusCount(status=status.value, label=status.label, claims=by_status[status.value])
            for status in ClaimStatus
        ],
        by_country=[
            CountryProgress(
                country=code,
                label=Country(code).label,
                units_in_scope=units.get(code, 0),
                claims=by_country[code][0],
                remedied=by_country[code][1],
                disposals_confirmed=by_country[code][2],
            )
            for code in countries
        ],
        by_product=[
            ProductProgress(
                product=product,
                claims=by_product[product.pk][0],
                remedied=by_product[product.pk][1],
                disposals_confirmed=by_product[product.pk][2],
            )
            for product in products
        ],
        weekly=weekly_correction(recall=recall, today=today),
        overdue=overdue_count(recall=recall, now=timezone.now()),
        on_time=tuple(
            OnTimeWeek(monday=monday, rate=rate)
            for monday, rate in shipped_on_time_by_week(recall=recall).items()
        ),
        by_remedy=[
            RemedyProgress(
                remedy=offer.remedy,
                label=offer.label_en or offer.label,
                claims=by_remedy[offer.remedy][0],
                remedied=by_remedy[offer.remedy][1],
            )
            for offer in recall.remedy_offers
        ],
    )


def claim_groups(recall: Recall) -> list[dict]:
    """The recall's claims by country, product, status and remedy, each group with `claims`,
    `remedied` and `disposals`: from the claim tallies (a few rows), or counted from the claims."""
    if tallies_kept():
        groups: dict[tuple, dict] = {}
        for row in claim_tallies(recall_id=recall.pk):
            key = (row["country"], row["product_id"], row["status"], row["remedy"])
            group = groups.setdefault(
                key,
                dict(zip(("country", "product_id", "status", "remedy"), key, strict=True))
                | {"claims": 0, "remedied": 0, "disposals": 0},
            )
            group["claims"] += row["claims"]
            group["remedied"] += row["claims"] if row["remedied"] else 0
            group["disposals"] += row["claims"] if row["disposal_confirmed"] else 0
        return list(groups.values())
    return list(
        Claim.objects.filter(recall=recall)
        .values("country", "product_id", "status", "remedy")
        .annotate(
            claims=Count("pk"),
            remedied=Count("pk", filter=is_remedied()),
            disposals=Count("pk", filter=is_disposal_confirmed()),
        )
        .order_by()
    )


def _remedied_by_week(recall: Recall) -> dict[date, int]:
    """Units remedied in each ISO week (by its Monday), from the tallies' days or the claims."""
    shipped_by_week: dict[date, int] = defaultdict(int)
    if tallies_kept():
        for row in claim_day_tallies(recall_id=recall.pk, metrics=[DayMetric.REMEDIED]):
            shipped_by_week[row["day"] - timedelta(days=row["day"].weekday())] += row["claims"]
        return shipped_by_week
    rows = (
        claims_with_remedy_dates(recall)
        .filter(remedied_at__isnull=False)
        .annotate(week=TruncWeek("remedied_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    for row in rows:
        week = row["week"]
        if isinstance(week, datetime):
            week = timezone.localtime(week).date() if timezone.is_aware(week) else week.date()
        shipped_by_week[week] += row["n"]
    return shipped_by_week


def weekly_correction(*, recall: Recall, today: date | None = None) -> list[WeekPoint]:
    """The cumulative correction rate at the end of each ISO week, from the announcement's week
    to this one: one query, grouped by the week in which each claim's remedy first shipped.

    Remedies dated before the announcement's week (none should be) count from its first week.
    """
    today = today or timezone.localdate()
    shipped_by_week = _remedied_by_week(recall)

    first = recall.announced_on - timedelta(days=recall.announced_on.weekday())
    last = today - timedelta(days=today.weekday())
    last = max(last, first, *shipped_by_week)
    remedied = sum(n for week, n in shipped_by_week.items() if week < first)
    points = []
    monday = first
    while monday <= last:
        remedied += shipped_by_week.get(monday, 0)
        points.append(
            WeekPoint(monday=monday, remedied=remedied, rate=Rate(remedied, recall.units_affected))
        )
        monday += timedelta(days=7)
    return points
