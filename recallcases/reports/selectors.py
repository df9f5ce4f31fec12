"""Reading a recall's progress and what its regulators ask, at the moment the report is asked for.

Every figure is counted by the database (Count with filters, grouped where a page shows a
breakdown), so a page costs the same few queries whether the recall has ten claims or seventy
thousand. Nothing here writes.

The figures, as the pages' footnotes repeat them:

- **Units in scope**: `Recall.units_affected`; by country, Canada is `units_affected_canada` and
  the United States the rest. Units in scope per product are not known: by product, the pages
  show claims and units remedied only.
- **Units remedied** ("corrected"): claims whose remedy shipped, that is with a "replacement
  shipped" event or a recorded shipment, dated by the first such event (else the first
  shipment). Where a recall wants proof of disposal first, the remedy still counts when it ships.
- **Disposals confirmed**: claims with a "disposal confirmed" event, dated by the first.
- **Correction rate**: units remedied ÷ units in scope. The weekly trend is that rate at the end of
  each ISO week since the week of the announcement, cumulative.
- **Consumers notified by email**: distinct known purchasers to whom a recall notice or a notice
  reminder was sent (the outbox's state "sent", dated by when it was sent).
- **Incidents**: dated by when the company learned of them; before or after the announcement as
  recorded on the incident (from the date it happened when known, else as the consumer told it;
  "not known" counted apart). Injuries are incidents with an injury.
"""

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recallcases.claims.fulfilment_csv import csv_cell
from recallcases.claims.models import Claim, ClaimEvent, ClaimStatus, Shipment
from recallcases.incidents.models import Incident, Timing
from recallcases.notices.models import Purchaser
from recallcases.notices.selectors import NOTICE_KINDS
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.recalls.models import Country, Product, Recall, Remedy

# --- Shared pieces -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ReportMonth:
    """A calendar month of a report, in the site's time zone: [start, end)."""

    first_day: date

    @property
    def key(self) -> str:
        return f"{self.first_day:%Y-%m}"

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def next_first_day(self) -> date:
        return (self.first_day + timedelta(days=31)).replace(day=1)

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.next_first_day, time.min))

    @property
    def last_day(self) -> date:
        return self.next_first_day - timedelta(days=1)

    def in_progress(self, *, now: datetime | None = None) -> bool:
        """Whether the month has not ended yet (its figures are up to now)."""
        return (now or timezone.now()) < self.end


def report_month(text: str, *, today: date | None = None) -> ReportMonth | None:
    """The month "YYYY-MM" names, or None when it names no month or one that has not begun."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        return None
    month = ReportMonth(date(int(match[1]), int(match[2]), 1))
    if month.first_day > (today or timezone.localdate()):
        return None
    return month


def current_month(*, today: date | None = None) -> ReportMonth:
    """The month under way: the one a report defaults to."""
    return ReportMonth((today or timezone.localdate()).replace(day=1))


def report_months(recall: Recall, *, today: date | None = None) -> list[ReportMonth]:
    """The months a report can be asked for: the announcement's month to this one, newest first."""
    month = current_month(today=today)
    first = min(recall.announced_on.replace(day=1), month.first_day)
    months = [month]
    while months[-1].first_day > first:
        months.append(ReportMonth((months[-1].first_day - timedelta(days=1)).replace(day=1)))
    return months


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


def _remedied_at():
    """When a claim's remedy first shipped: its first "replacement shipped" event, or else its
    first shipment; NULL when neither exists."""
    event = Subquery(
        ClaimEvent.objects.filter(claim=OuterRef("pk"), to_status=ClaimStatus.REPLACEMENT_SHIPPED)
        .order_by("created_at")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    shipment = Subquery(
        Shipment.objects.filter(claim=OuterRef("pk"))
        .order_by("created_at")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    # `claim_ship` writes the event and then the shipment in one transaction, so the event, when
    # there is one, is the earlier: the shipment is read only for a claim without the event.
    return Coalesce(event, shipment, output_field=DateTimeField())


def _disposal_confirmed_at():
    """When a claim's disposal was first confirmed; NULL when it never was."""
    return Subquery(
        ClaimEvent.objects.filter(claim=OuterRef("pk"), to_status=ClaimStatus.DISPOSAL_CONFIRMED)
        .order_by("created_at")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )


def claims_with_remedy_dates(recall: Recall) -> QuerySet[Claim]:
    """The recall's claims, each with `remedied_at` and `disposal_confirmed_at` (or None)."""
    return Claim.objects.filter(recall=recall).annotate(
        remedied_at=_remedied_at(), disposal_confirmed_at=_disposal_confirmed_at()
    )


def _sent_notices(recall: Recall) -> QuerySet[OutboundEmail]:
    """Recall notices and reminders sent to the recall's known purchasers, each with the
    purchaser's id and country (`purchaser_id`, `purchaser_country`)."""
    # Through notices' NoticeEmail: the outbox knows no purchaser.
    return OutboundEmail.objects.filter(
        kind__in=NOTICE_KINDS, state=EmailState.SENT, notice__purchaser__recall=recall
    ).annotate(
        purchaser_id=F("notice__purchaser_id"), purchaser_country=F("notice__purchaser__country")
    )


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


def _claim_counts(recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Claims filed, units remedied and disposals confirmed, in Canada and everywhere: one query."""
    return claims_with_remedy_dates(recall).aggregate(
        **_dated_counts(
            month=month,
            scopes={CANADA: Q(country=Country.CA), ALL: Q()},
            metrics={
                "filed": ("created_at", Q()),
                "remedied": ("remedied_at", Q()),
                "disposals": ("disposal_confirmed_at", Q()),
            },
        )
    )


def _notice_counts(recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Distinct purchasers sent a notice or a reminder, in Canada and everywhere: one query."""
    return _sent_notices(recall).aggregate(
        **_dated_counts(
            month=month,
            scopes={CANADA: Q(purchaser_country=Country.CA), ALL: Q()},
            metrics={"notified": ("sent_at", Q())},
            of="purchaser_id",
        )
    )


def _incident_counts(recall: Recall, month: ReportMonth, *, now: datetime) -> dict[str, int]:
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


def _pair(counts: dict[str, int], scope: str, metric: str) -> tuple[int, int]:
    return counts[f"{scope}_{metric}_{PERIOD}"], counts[f"{scope}_{metric}_{CUMULATIVE}"]


# --- The dashboard -------------------------------------------------------------------------------


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

    @property
    def correction_rate(self) -> Rate:
        return Rate(self.remedied, self.units_in_scope)


def recalls_for_reports() -> QuerySet[Recall]:
    """Every recall with `claim_count`, for the list of dashboards: one query."""
    return Recall.objects.annotate(claim_count=Count("claims")).order_by("-announced_on", "slug")


def recall_dashboard(*, recall: Recall, today: date | None = None) -> Dashboard:
    """The recall manager's dashboard of `recall`, now: four queries however many claims.

    Claims by status, country and product come from one grouped query (each group with its units
    remedied and disposals confirmed); the weekly trend from one more, grouped by the ISO week in
    which each claim's remedy first shipped; notices sent count distinct purchasers.
    """
    shipped = ClaimEvent.objects.filter(
        claim=OuterRef("pk"), to_status=ClaimStatus.REPLACEMENT_SHIPPED
    )
    disposed = ClaimEvent.objects.filter(
        claim=OuterRef("pk"), to_status=ClaimStatus.DISPOSAL_CONFIRMED
    )
    has_shipment = Shipment.objects.filter(claim=OuterRef("pk"))
    groups = (
        Claim.objects.filter(recall=recall)
        .values("country", "product_id", "status")
        .annotate(
            claims=Count("pk"),
            remedied=Count("pk", filter=Q(Exists(shipped)) | Q(Exists(has_shipment))),
            disposals=Count("pk", filter=Q(Exists(disposed))),
        )
        .order_by()
    )
    by_status: dict[str, int] = defaultdict(int)
    by_country: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_product: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for group in groups:
        by_status[group["status"]] += group["claims"]
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
        notices_sent=_sent_notices(recall).aggregate(n=Count("purchaser_id", distinct=True))["n"],
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
    )


def weekly_correction(*, recall: Recall, today: date | None = None) -> list[WeekPoint]:
    """The cumulative correction rate at the end of each ISO week, from the announcement's week
    to this one: one query, grouped by the week in which each claim's remedy first shipped.

    Remedies dated before the announcement's week (none should be) count from its first week.
    """
    today = today or timezone.localdate()
    rows = (
        claims_with_remedy_dates(recall)
        .filter(remedied_at__isnull=False)
        .annotate(week=TruncWeek("remedied_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    shipped_by_week: dict[date, int] = defaultdict(int)
    for row in rows:
        week = row["week"]
        if isinstance(week, datetime):
            week = timezone.localtime(week).date() if timezone.is_aware(week) else week.date()
        shipped_by_week[week] += row["n"]

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


# --- Regulator reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise


# A figure's value: a count, a share, None where recallcases records nothing to count (shown as
# "not recorded"), or NOT_APPLICABLE where the column has no meaning for the figure.
NOT_APPLICABLE = ""
Value = int | Rate | str | None


@dataclass(frozen=True)
class Figure:
    """One line of a report: a stable key (CSV, tests), a label, one value per column, a note."""

    key: str
    label: str | Promise
    values: tuple[Value, ...]
    note: str | Promise = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    columns: tuple[Column, ...]
    figures: tuple[Figure, ...]
    # What the section's figures mean: a footnote on the page.
    definition: str | Promise = ""

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


@dataclass(frozen=True)
class RegulatorReport:
    kind: str  # "cpsc" or "health-canada"
    recall: Recall
    month: ReportMonth
    generated_at: datetime
    # Every column of every section, in the order of the CSV.
    columns: tuple[Column, ...]
    sections: tuple[Section, ...]

    @property
    def in_progress(self) -> bool:
        return self.month.in_progress(now=self.generated_at)

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


NOT_RECORDED_NOTE = _("Not recorded in recallcases.")

CPSC_AFFECTED = Column("total_affected", _("Units affected"))
CPSC_PERIOD = Column("this_period", _("This period"))
CPSC_CUMULATIVE = Column("cumulative", _("Cumulative"))
CPSC_CORRECTED_PERIOD = Column("this_period", _("Corrected this period"))
CPSC_CORRECTED_CUMULATIVE = Column("cumulative", _("Corrected, cumulative"))


def cpsc_report(
    *, recall: Recall, month: ReportMonth, now: datetime | None = None
) -> RegulatorReport:
    """The CPSC monthly progress report of `recall` for `month`: three queries.

    "This period" is the month; "cumulative" is everything up to the month's end (up to now while
    the month runs). Where recallcases records nothing (units at the manufacturer, distributors
    and retailers; deaths; notices by phone or mail), the figure is 0 with a note saying so;
    where a number would have to be invented (contacts by phone or email, recall page visits),
    it is left empty as "not recorded".
    """
    now = now or timezone.now()
    claims = _claim_counts(recall, month)
    incidents = _incident_counts(recall, month, now=now)
    notices = _notice_counts(recall, month)
    corrected = _pair(claims, ALL, "remedied")
    affected = recall.units_affected

    def zero(key, label):
        return Figure(key, label, (0, 0, 0), NOT_RECORDED_NOTE)

    units = Section(
        "units",
        _("Units affected and corrected, by where they are"),
        (CPSC_AFFECTED, CPSC_CORRECTED_PERIOD, CPSC_CORRECTED_CUMULATIVE),
        (
            zero("manufacturer", _("At the manufacturer")),
            zero("distributors", _("At distributors")),
            zero("retailers", _("At retailers")),
            Figure("consumers", _("With consumers"), (affected, *corrected)),
            Figure("total", _("Total"), (affected, *corrected)),
            Figure(
                "correction_rate",
                _("Correction rate (corrected ÷ affected)"),
                (NOT_APPLICABLE, Rate(corrected[0], affected), Rate(corrected[1], affected)),
            ),
        ),
        _(
            "Corrected: units whose remedy shipped (a “replacement shipped” step or a recorded "
            "shipment), dated by the first. Every unit affected is counted with consumers: "
            "recallcases does not track stock at the manufacturer, distributors or retailers."
        ),
    )

    def incident_figure(key, label, note=""):
        return Figure(key, label, _pair(incidents, ALL, key), note)

    incident_section = Section(
        "incidents",
        _("Incidents, injuries and deaths"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            incident_figure("incidents", _("Incidents")),
            incident_figure("incidents_before", _("Incidents before the recall")),
            incident_figure("incidents_after", _("Incidents after the recall")),
            incident_figure("incidents_unknown", _("Incidents, date not known")),
            incident_figure("injuries", _("Injuries")),
            incident_figure("injuries_before", _("Injuries before the recall")),
            incident_figure("injuries_after", _("Injuries after the recall")),
            incident_figure("injuries_unknown", _("Injuries, date not known")),
            Figure(
                "deaths",
                _("Deaths"),
                (0, 0),
                _("Not recorded: incident reports have no field for a death."),
            ),
            incident_figure("fires", _("Incidents with a fire")),
        ),
        _(
            "Incidents reported to the firm, dated by when it learned of them; before or after "
            "the recall's announcement (%(announced)s) by the date it happened, or as the consumer "
            "told it when no date was given. Injuries: incidents with an injury."
        )
        % {"announced": recall.announced_on.isoformat()},
    )

    notified = _pair(notices, ALL, "notified")
    notified_section = Section(
        "notified",
        _("Consumers notified"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            Figure("phone", _("By phone"), (0, 0), NOT_RECORDED_NOTE),
            Figure("email", _("By email"), notified),
            Figure("mail", _("By mail"), (0, 0), NOT_RECORDED_NOTE),
        ),
        _("By email: distinct known purchasers to whom the recall notice or a reminder was sent."),
    )

    contacted = Section(
        "contacted",
        _("Consumers who contacted the firm"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            Figure("web_claims", _("Claims filed on the web"), _pair(claims, ALL, "filed")),
            Figure(
                "web_incident_reports",
                _("Incident reports on the web"),
                _pair(incidents, ALL, "incidents"),
            ),
            Figure("phone", _("By phone"), (None, None), NOT_RECORDED_NOTE),
            Figure("email", _("By email"), (None, None), NOT_RECORDED_NOTE),
        ),
        _("Claims filed (whatever became of them) and incident reports, as recallcases took them."),
    )

    visits = Section(
        "visits",
        _("Recall page visits"),
        (CPSC_PERIOD, CPSC_CUMULATIVE),
        (
            Figure(
                "recall_page",
                _("Visits to the recall page"),
                (None, None),
                _("Not recorded: recallcases keeps no page analytics."),
            ),
        ),
    )
    return RegulatorReport(
        kind="cpsc",
        recall=recall,
        month=month,
        generated_at=now,
        columns=(CPSC_AFFECTED, CPSC_PERIOD, CPSC_CUMULATIVE),
        sections=(units, incident_section, notified_section, contacted, visits),
    )


HC_CANADA_PERIOD = Column("canada_this_period", _("Canada, this period"))
HC_CANADA_CUMULATIVE = Column("canada_cumulative", _("Canada, cumulative"))
HC_ALL_PERIOD = Column("all_this_period", _("All countries, this period"))
HC_ALL_CUMULATIVE = Column("all_cumulative", _("All countries, cumulative"))
HC_COLUMNS = (HC_CANADA_PERIOD, HC_CANADA_CUMULATIVE, HC_ALL_PERIOD, HC_ALL_CUMULATIVE)


def _shipment_counts(recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Units (distinct claims) with a shipment of each remedy, in Canada and everywhere."""
    return Shipment.objects.filter(claim__recall=recall).aggregate(
        **_dated_counts(
            month=month,
            scopes={CANADA: Q(claim__country=Country.CA), ALL: Q()},
            metrics={remedy.value: ("created_at", Q(remedy=remedy)) for remedy in Remedy},
            of="claim_id",
        )
    )


def _purchaser_counts(recall: Recall, month: ReportMonth) -> dict[str, int]:
    """Known purchasers on the list by the month's end, in Canada and everywhere: one query."""
    on_list = Q(created_at__lt=month.end)
    return Purchaser.objects.filter(recall=recall).aggregate(
        canada=Count("pk", filter=on_list & Q(country=Country.CA)),
        all=Count("pk", filter=on_list),
    )


def _four(counts: dict[str, int], metric: str) -> tuple[int, int, int, int]:
    return (*_pair(counts, CANADA, metric), *_pair(counts, ALL, metric))


def recall_page_urls(recall: Recall) -> list[str]:
    """The public addresses of the recall's page, in each language."""
    urls = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            urls.append(settings.SITE_URL + reverse("consumer:recall", args=[recall.slug]))
    return urls


def health_canada_report(
    *, recall: Recall, month: ReportMonth, now: datetime | None = None
) -> RegulatorReport:
    """Health Canada's view of `recall` for `month`, in Canada and in all countries: five queries.

    Recall effectiveness counts units returned, exchanged or refunded. Lithium-ion units are not
    shipped back: none is returned, and disposals confirmed are shown instead. Exchanged and
    refunded units are claims with a shipment of that remedy. Incidents in Canada are those whose
    reporter lives there; Health Canada's clocks (told within 2 days, written report within 10)
    are shown as they stand when the report is made.
    """
    now = now or timezone.now()
    claims = _claim_counts(recall, month)
    shipments = _shipment_counts(recall, month)
    incidents = _incident_counts(recall, month, now=now)
    notices = _notice_counts(recall, month)
    purchasers = _purchaser_counts(recall, month)
    canada_units, all_units = recall.units_affected_canada, recall.units_affected
    remedied = _four(claims, "remedied")

    other_remedies = [Remedy.GIFT_CARD, Remedy.VOUCHER]
    other = tuple(
        sum(values)
        for values in zip(*(_four(shipments, remedy) for remedy in other_remedies), strict=True)
    )
    units = Section(
        "units",
        _("Recall effectiveness"),
        HC_COLUMNS,
        (
            Figure(
                "affected",
                _("Units affected"),
                (NOT_APPLICABLE, canada_units, NOT_APPLICABLE, all_units),
            ),
            Figure(
                "returned",
                _("Units returned"),
                (0, 0, 0, 0),
                _("Lithium-ion units are not shipped back: consumers dispose of them (below)."),
            ),
            Figure(
                "exchanged", _("Units exchanged (replacement)"), _four(shipments, "replacement")
            ),
            Figure("refunded", _("Units refunded"), _four(shipments, "refund")),
            Figure("other_remedy", _("Units remedied with a gift card or voucher"), other),
            Figure("corrected", _("Units corrected (remedy shipped)"), remedied),
            Figure(
                "disposals_confirmed",
                _("Units disposed of (disposal confirmed)"),
                _four(claims, "disposals"),
            ),
            Figure(
                "effectiveness",
                _("Effectiveness (corrected ÷ affected)"),
                (
                    Rate(remedied[0], canada_units),
                    Rate(remedied[1], canada_units),
                    Rate(remedied[2], all_units),
                    Rate(remedied[3], all_units),
                ),
            ),
        ),
        _(
            "Canada: claims from consumers in Canada. Exchanged, refunded: claims with a shipment "
            "of that remedy recorded. Corrected: claims whose remedy shipped, dated by the first "
            "“replacement shipped” step or shipment."
        ),
    )

    notified = _four(notices, "notified")
    notification = Section(
        "notification",
        _("Notification measures"),
        HC_COLUMNS,
        (
            Figure(
                "purchasers_on_list",
                _("Known purchasers on the list"),
                (NOT_APPLICABLE, purchasers["canada"], NOT_APPLICABLE, purchasers["all"]),
            ),
            Figure("direct_notices", _("Purchasers sent a direct notice by email"), notified),
            Figure(
                "recall_page",
                _("Recall page on the web (English and French)"),
                (None, None, None, None),
                _("Published at %(urls)s since %(announced)s; visits are not recorded.")
                % {
                    "urls": ", ".join(recall_page_urls(recall)),
                    "announced": recall.announced_on.isoformat(),
                },
            ),
        ),
        _(
            "Direct notices: distinct known purchasers to whom the recall notice or a reminder "
            "was sent; Canada: purchasers with a Canadian address."
        ),
    )

    clock_note = (
        ""
        if recall.countries and Country.CA in recall.countries
        else _("Health Canada's clocks do not apply: the recall was not sold in Canada.")
    )
    incident_section = Section(
        "incidents",
        _("Incidents"),
        HC_COLUMNS,
        (
            Figure("incidents", _("Incidents reported"), _four(incidents, "incidents")),
            Figure("injuries", _("Incidents with an injury"), _four(incidents, "injuries")),
            Figure("fires", _("Incidents with a fire"), _four(incidents, "fires")),
            Figure(
                "notice_on_time",
                _("Health Canada told within 2 days"),
                _four(incidents, "notice_on_time"),
                clock_note,
            ),
            Figure(
                "notice_late",
                _("Health Canada told, late"),
                _four(incidents, "notice_late"),
                clock_note,
            ),
            Figure(
                "notice_open",
                _("Health Canada not told yet, within 2 days"),
                _four(incidents, "notice_open"),
                clock_note,
            ),
            Figure(
                "notice_overdue",
                _("Health Canada not told, 2 days passed"),
                _four(incidents, "notice_overdue"),
                clock_note,
            ),
            Figure(
                "report_on_time",
                _("Written report filed within 10 days"),
                _four(incidents, "report_on_time"),
                clock_note,
            ),
            Figure(
                "report_late",
                _("Written report filed, late"),
                _four(incidents, "report_late"),
                clock_note,
            ),
            Figure(
                "report_open",
                _("Written report not filed yet, within 10 days"),
                _four(incidents, "report_open"),
                clock_note,
            ),
            Figure(
                "report_overdue",
                _("Written report not filed, 10 days passed"),
                _four(incidents, "report_overdue"),
                clock_note,
            ),
        ),
        _(
            "Incidents dated by when the firm learned of them; Canada: reported by someone in "
            "Canada (Health Canada counts incidents abroad too: see all countries). Clocks as they "
            "stand at %(now)s UTC."
        )
        % {"now": f"{now.astimezone(UTC):%Y-%m-%d %H:%M}"},
    )
    return RegulatorReport(
        kind="health-canada",
        recall=recall,
        month=month,
        generated_at=now,
        columns=HC_COLUMNS,
        sections=(units, notification, incident_section),
    )


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def report_csv(report: RegulatorReport) -> Iterator[str]:
    """The report's CSV lines: a header, then one line per figure, every cell formula-safe.

    Columns: section, figure (stable keys), label, one column per value, note. A value not
    recorded, or without meaning for its figure, is an empty cell; a share reads "0.40%".
    """
    writer = csv.writer(_Line())
    keys = [column.key for column in report.columns]
    yield writer.writerow(["section", "figure", "label", *keys, "note"])
    for section in report.sections:
        for figure in section.figures:
            by_column = {
                column.key: value
                for column, value in zip(section.columns, figure.values, strict=True)
            }
            cells = ["" if by_column.get(key) is None else by_column[key] for key in keys]
            yield writer.writerow(
                [
                    csv_cell(value)
                    for value in (section.key, figure.key, figure.label, *cells, figure.note)
                ]
            )
