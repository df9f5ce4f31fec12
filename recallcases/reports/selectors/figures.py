"""What each figure of the reports means, counted by the database: the one definition of units in
scope, claims filed, units remedied, disposals confirmed, consumers notified and incidents that the
dashboard and both regulators' reports read.

Every figure is counted by the database (Count with filters, grouped where a page shows a
breakdown), in one pass over the claims, so a page costs the same few queries whether the recall
has ten claims or a million. Nothing here writes.

The figures, as the pages' footnotes repeat them:

- **Units in scope**: `Recall.units_affected`; by country, Canada is `units_affected_canada` and
  the United States the rest. Units in scope per product are not known: by product, the pages
  show claims and units remedied only.
- **Units remedied** ("corrected"): claims whose remedy shipped, that is with a "replacement
  shipped" event or a recorded shipment, dated by the first such event (else the first
  shipment). Where a recall wants proof of disposal first, the remedy still counts when it ships.
  `remedied_at` says when; a claim is remedied when it is not NULL (`is_remedied`).
- **Units corrected by remedy**: units remedied, counted by the remedy the claim was given (the
  consumer's choice as it stood when issued: a replacement or repair kit shipped, a refund paid,
  a gift card's or voucher's code sent), dated as units remedied (`remedied_<remedy>`).
- **Disposals confirmed**: claims with a "disposal confirmed" event, dated by the first
  (`disposal_confirmed_at`, `is_disposal_confirmed`).
- **Correction rate**: units remedied ÷ units in scope. The weekly trend is that rate at the end of
  each ISO week since the week of the announcement, cumulative.
- **Consumers notified by email**: distinct known purchasers to whom a recall notice or a notice
  reminder was sent (the outbox's state "sent", dated by when it was sent).
- **Consumers who contacted the firm by phone**: the calls call-centre agents logged (`CallLog`),
  a claim filed by phone included, dated by the call; claims filed on the web are those of the
  web channel.
- **Incidents**: dated by when the company learned of them; before or after the announcement as
  recorded on the incident (from the date it happened when known, else as the consumer told it;
  "not known" counted apart). Injuries are incidents with an injury.

A regulator's monthly figures come in four: in Canada and in every country (`CANADA`, `ALL`), in
the month and cumulative up to its end (`PERIOD`, `CUMULATIVE`); `*_counts` return them by the
name "<scope>_<metric>_<period|cumulative>", read with `period_and_cumulative` or `canada_and_all`.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncDate

from recallcases.claims.models import (
    CallLog,
    Channel,
    Claim,
    ClaimStatus,
    DayMetric,
    Shipment,
)
from recallcases.claims.selectors import (
    claim_day_tallies,
    claim_promise_tallies,
    tallies_kept,
)
from recallcases.claims.selectors import overdue_count as claims_overdue_count
from recallcases.core.business_days import business_days_after
from recallcases.incidents.models import Incident, Timing
from recallcases.notices.models import Purchaser
from recallcases.notices.selectors import NOTICE_KINDS
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.recalls.models import Country, Recall, Remedy
from recallcases.reports.selectors.periods import ReportMonth


@dataclass(frozen=True)
class Rate:
    """A share, `part` of `whole`: the correction rate, the recall's effectiveness."""

    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        """The share in percent, or None when there is nothing to divide by."""
        return 100 * self.part / self.whole if self.whole else None

    def __str__(self) -> str:
        return "" if self.percent is None else f"{self.percent:.2f}%"


# --- Units in scope ------------------------------------------------------------------------------


def units_in_scope_by_country(recall: Recall) -> dict[str, int]:
    """Units in scope per country: Canada's as the recall records them, the United States the rest.

    Countries where the recall was sold, in the order of `Country`; a country with no units
    recorded for it is left out unless it is one of the recall's countries.
    """
    units = {
        Country.US: max(recall.units_affected - recall.units_affected_canada, 0),
        Country.CA: recall.units_affected_canada,
    }
    sold_in = set(recall.countries or [])
    return {code: n for code, n in units.items() if code in sold_in or n}


# --- Units remedied and disposals confirmed, per claim -------------------------------------------
# Each is said once. The rows that make a claim count are its events of a status and its
# shipments; the database keeps the first date of each on the claim (claims migration 0013:
# `first_shipped_at`, `first_shipment_at`, `disposal_confirmed_at`, recomputed by
# `manage.py claim_figures_rebuild`), and on PostgreSQL the claim tallies by group and by day kept
# from them (ADR 0011), so a report reads a few rows, not every claim's events. Whether a claim
# counts and when it first did are both read from those dates, so the dashboard (whether, now) and
# the monthly reports (when) cannot disagree.


def remedied_at() -> Coalesce:
    """When a claim's remedy first shipped: its first "replacement shipped" event, or else its
    first shipment; NULL when neither exists (the claim is not remedied)."""
    # `claim_ship` writes the event and then the shipment in one transaction, so the event, when
    # there is one, is the earlier: the shipment counts only for a claim without the event.
    return Coalesce(F("first_shipped_at"), F("first_shipment_at"), output_field=DateTimeField())


def is_remedied() -> Q:
    """Whether a claim's remedy has shipped: `remedied_at` is not NULL."""
    return Q(first_shipped_at__isnull=False) | Q(first_shipment_at__isnull=False)


def is_disposal_confirmed() -> Q:
    """Whether a claim's disposal was ever confirmed: `disposal_confirmed_at` is not NULL."""
    return Q(disposal_confirmed_at__isnull=False)


def claims_with_remedy_dates(recall: Recall) -> QuerySet[Claim]:
    """The recall's claims, each with `remedied_at` and `disposal_confirmed_at` (or None)."""
    return Claim.objects.filter(recall=recall).annotate(remedied_at=remedied_at())


# --- Promised dates -----------------------------------------------------------------------------


def shipped_on_time_by_week(*, recall: Recall) -> dict[date, Rate]:
    """ISO week (its Monday) → the share of the claims whose remedy first shipped that week that
    shipped by the date the recall promised ("replacement_shipped" in its promised_business_days,
    counted from filing); empty when it promises none. One query, by the day of filing and the
    day of shipping (from the promise tallies on PostgreSQL, else grouped from the claims): each
    filing day's due date is worked out here (business days)."""
    days = (recall.promised_business_days or {}).get(ClaimStatus.REPLACEMENT_SHIPPED)
    if not days:
        return {}
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for filed_on, shipped_on, n in _filed_and_shipped_on(recall):
        week = weeks[shipped_on - timedelta(days=shipped_on.weekday())]
        week[1] += n
        if shipped_on <= business_days_after(filed_on, days):
            week[0] += n
    return {monday: Rate(on_time, total) for monday, (on_time, total) in sorted(weeks.items())}


def _filed_and_shipped_on(recall: Recall) -> list[tuple[date, date, int]]:
    """(day filed, day remedied, claims) of the recall's remedied claims, days in UTC."""
    if tallies_kept():
        return [
            (row["filed_on"], row["remedied_on"], row["claims"])
            for row in claim_promise_tallies(recall_id=recall.pk)
            if row["remedied_on"] is not None
        ]
    rows = (
        Claim.objects.filter(recall=recall)
        .annotate(remedied_at=remedied_at())
        .filter(remedied_at__isnull=False)
        .annotate(
            filed_on=TruncDate("created_at", tzinfo=UTC),
            shipped_on=TruncDate("remedied_at", tzinfo=UTC),
        )
        .values("filed_on", "shipped_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(row["filed_on"], row["shipped_on"], row["n"]) for row in rows]


def overdue_count(*, recall: Recall, now: datetime) -> int:
    """The recall's claims past a date it promised, now (the queue's "Past a promised date")."""
    return claims_overdue_count(recall=recall, now=now)


# --- Consumers notified --------------------------------------------------------------------------


def sent_notices(recall: Recall) -> QuerySet[OutboundEmail]:
    """Recall notices and reminders sent to the recall's known purchasers, each with the
    purchaser's id and country (`purchaser_id`, `purchaser_country`)."""
    # Through notices' NoticeEmail: the outbox knows no purchaser.
    return OutboundEmail.objects.filter(
        kind__in=NOTICE_KINDS, state=EmailState.SENT, notice__purchaser__recall=recall
    ).annotate(
        purchaser_id=F("notice__purchaser_id"), purchaser_country=F("notice__purchaser__country")
    )


# --- A month's figures, in Canada and everywhere -------------------------------------------------

# Where a report counts: Canada (a claim's or a purchaser's country, an incident's reporter's),
# and every country.
CANADA, ALL = "canada", "all"
PERIOD, CUMULATIVE = "period", "cumulative"


def _dated_counts(
    *, month: ReportMonth, scopes: dict[str, Q], metrics: dict[str, tuple[str, Q]], of: str = "pk"
) -> dict[str, Count]:
    """Count(…) expressions named "<scope>_<metric>_<period|cumulative>".

    Each metric is (its date field, its condition): counted in the month, and up to the month's
    end. `of` is what is counted, distinct.
    """
    counts = {}
    for scope, in_scope in scopes.items():
        for metric, (field, condition) in metrics.items():
            until_end = Q(**{f"{field}__lt": month.end})
            in_month = Q(**{f"{field}__gte": month.start}) & until_end
            for span, dated in ((PERIOD, in_month), (CUMULATIVE, until_end)):
                counts[f"{scope}_{metric}_{span}"] = Count(
                    of, distinct=of != "pk", filter=in_scope & condition & dated
                )
    return counts


# The day tallies' metric of each dated claim figure.
_DAY_METRICS = {
    "filed": DayMetric.FILED,
    "remedied": DayMetric.REMEDIED,
    "disposals": DayMetric.DISPOSAL,
}


def claim_counts(*, recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Claims filed (in all and on the web), units remedied (in all and by remedy) and disposals
    confirmed, in Canada and everywhere: one query (over the claim tallies' days on PostgreSQL,
    else over the claims)."""
    if tallies_kept():
        return _claim_counts_from_days(recall=recall, month=month)
    return claims_with_remedy_dates(recall).aggregate(
        **_dated_counts(
            month=month,
            scopes={CANADA: Q(country=Country.CA), ALL: Q()},
            metrics={
                "filed": ("created_at", Q()),
                "filed_web": ("created_at", Q(channel=Channel.WEB)),
                "remedied": ("remedied_at", Q()),
                "disposals": ("disposal_confirmed_at", Q()),
                **{
                    f"remedied_{remedy.value}": ("remedied_at", Q(remedy=remedy))
                    for remedy in Remedy
                },
            },
        )
    )


def _claim_counts_from_days(*, recall: Recall, month: ReportMonth) -> dict[str, int]:
    # Months begin at midnight in the site's time zone, UTC, as the tallies' days do.
    start, end = month.start.date(), month.end.date()
    names = [*_DAY_METRICS, "filed_web", *(f"remedied_{remedy.value}" for remedy in Remedy)]
    counts = {
        f"{scope}_{name}_{span}": 0
        for scope in (CANADA, ALL)
        for name in names
        for span in (PERIOD, CUMULATIVE)
    }
    metric_names = {metric: name for name, metric in _DAY_METRICS.items()}
    for row in claim_day_tallies(recall_id=recall.pk, metrics=list(metric_names)):
        if row["day"] >= end:
            continue
        name = metric_names[row["metric"]]
        # The same claims counted again under the figure's narrower name, as `claim_counts` does.
        counted = [name]
        if name == "filed" and row["channel"] == Channel.WEB:
            counted.append("filed_web")
        if name == "remedied" and f"remedied_{row['remedy']}" in names:
            counted.append(f"remedied_{row['remedy']}")
        scopes = (CANADA, ALL) if row["country"] == Country.CA else (ALL,)
        for scope in scopes:
            for counted_name in counted:
                counts[f"{scope}_{counted_name}_{CUMULATIVE}"] += row["claims"]
                if row["day"] >= start:
                    counts[f"{scope}_{counted_name}_{PERIOD}"] += row["claims"]
    return counts


def shipment_counts(*, recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Units (distinct claims) with a shipment of each remedy, in Canada and everywhere."""
    return Shipment.objects.filter(claim__recall=recall).aggregate(
        **_dated_counts(
            month=month,
            scopes={CANADA: Q(claim__country=Country.CA), ALL: Q()},
            metrics={remedy.value: ("created_at", Q(remedy=remedy)) for remedy in Remedy},
            of="claim_id",
        )
    )


def call_counts(*, recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Phone calls call-centre agents logged about the recall (claims filed by phone included),
    everywhere: a call about no claim has no country. One query."""
    return CallLog.objects.filter(recall=recall).aggregate(
        **_dated_counts(month=month, scopes={ALL: Q()}, metrics={"calls": ("created_at", Q())})
    )


def purchaser_counts(*, recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Known purchasers on the list by the month's end, in Canada and everywhere: one query."""
    on_list = Q(created_at__lt=month.end)
    return Purchaser.objects.filter(recall=recall).aggregate(
        canada=Count("pk", filter=on_list & Q(country=Country.CA)),
        all=Count("pk", filter=on_list),
    )


def notice_counts(*, recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Distinct purchasers sent a notice or a reminder, in Canada and everywhere: one query."""
    return sent_notices(recall).aggregate(
        **_dated_counts(
            month=month,
            scopes={CANADA: Q(purchaser_country=Country.CA), ALL: Q()},
            metrics={"notified": ("sent_at", Q())},
            of="purchaser_id",
        )
    )


def incident_counts(*, recall: Recall, month: ReportMonth, now: datetime) -> dict[str, int]:
    """Incidents by what happened, by timing and by the state of Health Canada's clocks, in Canada
    (the reporter's country) and everywhere, learned in the month and up to its end: one query.

    A clock is on time (done by its deadline), late (done after it), open (not done, not yet due)
    or overdue (not done, past due) at `now`; incidents without clocks are in none of them.
    """
    timings = {"before": Timing.BEFORE, "after": Timing.AFTER, "unknown": Timing.UNKNOWN}
    metrics: dict[str, tuple[str, Q]] = {
        "incidents": ("learned_at", Q()),
        "injuries": ("learned_at", Q(injury=True)),
        "fires": ("learned_at", Q(fire=True)),
    }
    for name, timing in timings.items():
        metrics[f"incidents_{name}"] = ("learned_at", Q(timing=timing))
        metrics[f"injuries_{name}"] = ("learned_at", Q(timing=timing, injury=True))
    for clock, done, due in (
        ("notice", "regulator_notified_at", "regulator_notice_due_at"),
        ("report", "written_report_filed_at", "written_report_due_at"),
    ):
        has_clock = Q(**{f"{due}__isnull": False})
        metrics[f"{clock}_on_time"] = (
            "learned_at",
            has_clock & Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)}),
        )
        metrics[f"{clock}_late"] = (
            "learned_at",
            has_clock & Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)}),
        )
        metrics[f"{clock}_open"] = (
            "learned_at",
            has_clock & Q(**{f"{done}__isnull": True, f"{due}__gte": now}),
        )
        metrics[f"{clock}_overdue"] = (
            "learned_at",
            has_clock & Q(**{f"{done}__isnull": True, f"{due}__lt": now}),
        )
    return Incident.objects.filter(recall=recall).aggregate(
        **_dated_counts(
            month=month, scopes={CANADA: Q(country=Country.CA), ALL: Q()}, metrics=metrics
        )
    )


def period_and_cumulative(counts: dict[str, int], scope: str, metric: str) -> tuple[int, int]:
    """A metric's (this period, cumulative) in `scope`, from one of the `*_counts` above."""
    return counts[f"{scope}_{metric}_{PERIOD}"], counts[f"{scope}_{metric}_{CUMULATIVE}"]


def canada_and_all(counts: dict[str, int], metric: str) -> tuple[int, int, int, int]:
    """A metric's (Canada this period, Canada cumulative, all this period, all cumulative)."""
    return (
        *period_and_cumulative(counts, CANADA, metric),
        *period_and_cumulative(counts, ALL, metric),
    )
