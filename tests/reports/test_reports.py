"""The dashboard and the regulator reports, figure by figure, against a recall built for them.

The recall (1,000 units, 200 of them in Canada, announced 5 December 2024) gets claims, shipments,
disposals, incidents and notices dated in known months, by setting the clock while the real
services write them (`timezone.now` is what `auto_now_add` and the services read). Every figure
the pages show is then checked, on the page and in the CSV, mostly for February 2025.
"""

import csv
import io
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from unittest.mock import patch

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recallcases.claims.models import Claim, ClaimStatus, Shipment
from recallcases.claims.services import claim_ship
from recallcases.claims.services.payments import claim_pay
from recallcases.claims.transitions import CONSUMER, Actor, claim_transition
from recallcases.incidents.services import (
    IncidentDetails,
    incident_record_regulator_notice,
    incident_record_written_report,
    incident_report,
)
from recallcases.notices.models import Purchaser
from recallcases.notifications.models import EmailKind, EmailState
from recallcases.reports.selectors.cpsc import cpsc_report
from recallcases.reports.selectors.dashboard import recall_dashboard
from recallcases.reports.selectors.health_canada import health_canada_report
from recallcases.reports.selectors.periods import report_month
from recallcases.workspace.roles import (
    ADMINISTRATOR,
    FULFILMENT,
    RECALL_MANAGER,
    REVIEWER,
    roles_sync,
)
from tests.factories import (
    ClaimFactory,
    OutboundEmailFactory,
    ProductFactory,
    RecallFactory,
    notice_email_for,
)
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db

S = ClaimStatus
FEBRUARY = "2025-02"


def at(month: int, day: int, hour: int = 12, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@contextmanager
def clock(moment: datetime):
    """Set the time the services and `auto_now_add` read."""
    with patch("django.utils.timezone.now", return_value=moment):
        yield


def manager_account(username="report-manager"):
    """A recall manager with the rights roles.ROLES gives the role (reports included)."""
    return member_of(RECALL_MANAGER, username=username)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The world -----------------------------------------------------------------------------------


class World:
    """Builds the recall's history through the real services, each step at a chosen time."""

    def __init__(self, recall, staff):
        self.recall = recall
        self.staff = Actor.staff(staff)
        self.tracking = 0

    def claim(self, when, **fields):
        with clock(when):
            return ClaimFactory(recall=self.recall, **fields)

    def step(self, claim, to_status, when, *, by=None):
        with clock(when):
            claim_transition(
                claim_id=claim.pk, to_status=to_status, actor=by or self.staff, note="noted"
            )

    def approve(self, claim, when):
        self.step(claim, S.VERIFIED, when)
        self.step(claim, S.REPLACEMENT_APPROVED, when)

    def ship(self, claim, when, remedy="replacement"):
        self.tracking += 1
        if remedy == "refund":
            # A refund is paid, not shipped: its payment confirmed (claim_pay).
            Claim.objects.filter(pk=claim.pk).update(remedy="refund")
            with clock(when):
                claim_pay(
                    claim_id=claim.pk,
                    actor=self.staff,
                    payment_reference=f"PAY{self.tracking:06d}",
                    amount=Decimal("30.00"),
                    currency="USD",
                )
            return
        with clock(when):
            claim_ship(
                claim_id=claim.pk,
                actor=self.staff,
                carrier="UPS",
                tracking_number=f"1Z{self.recall.pk:03d}{self.tracking:06d}",
                remedy=remedy,
            )

    def incident(self, learned, *, kinds, country, occurred_on=None, timing="unknown"):
        with clock(learned):
            return incident_report(
                recall=self.recall,
                details=IncidentDetails(
                    kinds=frozenset(kinds),
                    description="It smoked while charging.",
                    contact_name="Sam Lee",
                    contact_email="sam@example.com",
                    country=country,
                    occurred_on=occurred_on,
                    timing_as_told=timing,
                ),
            )

    def purchaser(self, number, country, created):
        with clock(created):
            return Purchaser.objects.create(
                recall=self.recall,
                email=f"buyer{self.recall.pk}-{number}@example.com",
                order_number=f"112-{number}",
                country=country,
            )

    def notice(self, purchaser, *, sent=None, state=EmailState.SENT, kind=EmailKind.RECALL_NOTICE):
        key = f"test-notice:{purchaser.pk}:{kind}:{sent}"
        email = notice_email_for(
            purchaser,
            kind=kind,
            dedupe_key=key,
            message_id=f"<{key}@recallcases.test>",
            state=state,
            sent_at=sent if state == EmailState.SENT else None,
            next_attempt_at=sent or at(1, 1),
        )
        if kind == EmailKind.RECALL_NOTICE:
            purchaser.notice_email = email
            purchaser.save(update_fields=["notice_email"])
        return email


@pytest.fixture
def manager(db):
    return manager_account()


@pytest.fixture
def recall(db):
    return RecallFactory(
        slug="speakers",
        title_en="Speakers recall",
        announced_on=date(2024, 12, 5),
        units_affected=1000,
        units_affected_canada=200,
        countries=["US", "CA"],
        remedies=[
            "replacement",
            {
                "remedy": "refund",
                "label_en": "Refund of $30",
                "label_fr": "Remboursement de 30 $",
                "value": "30.00",
                "currency": "USD",
            },
        ],
        regulator_references={"CPSC": "25-123", "Health Canada": "RA-98765"},
        safety_contact_email="safety@example.com",
    )


@pytest.fixture
def world(recall, manager):
    """The recall's history; the figures each test expects are worked out beside each step."""
    w = World(recall, manager)
    one = ProductFactory(recall=recall, name_en="Soundcore speaker", model="A3102")
    two = ProductFactory(recall=recall, name_en="PowerConf S3", model="A3302")

    # c1, US, A3102: shipped in January; its first disposal proof refused in February (a second
    # "replacement shipped" step, which must not count it again), then confirmed and closed.
    c1 = w.claim(at(1, 10), product=one, country="US")
    w.approve(c1, at(1, 12))
    w.ship(c1, at(1, 20))
    w.step(c1, S.DISPOSAL_SUBMITTED, at(2, 3), by=CONSUMER)
    w.step(c1, S.REPLACEMENT_SHIPPED, at(2, 4))
    w.step(c1, S.DISPOSAL_SUBMITTED, at(2, 4, 15), by=CONSUMER)
    w.step(c1, S.DISPOSAL_CONFIRMED, at(2, 5))
    w.step(c1, S.CLOSED, at(2, 6))
    # c2, CA, A3102: shipped in February, disposal confirmed in March.
    c2 = w.claim(at(1, 15), product=one, country="CA")
    w.approve(c2, at(1, 16))
    w.ship(c2, at(2, 10))
    w.step(c2, S.DISPOSAL_SUBMITTED, at(2, 12), by=CONSUMER)
    w.step(c2, S.DISPOSAL_CONFIRMED, at(3, 2))
    # c3, CA, A3302: filed and refunded in February.
    c3 = w.claim(at(2, 1), product=two, country="CA")
    w.approve(c3, at(2, 2))
    w.ship(c3, at(2, 20), remedy="refund")
    # c4, US, A3302: filed in February, verified only.
    c4 = w.claim(at(2, 14), product=two, country="US")
    w.step(c4, S.VERIFIED, at(2, 15))
    # c5, CA, A3102: filed and rejected in February.
    c5 = w.claim(at(2, 15), product=one, country="CA")
    w.step(c5, S.REJECTED, at(2, 16))
    # c6, US, A3102: filed and shipped in March (after the report's month).
    c6 = w.claim(at(3, 1), product=one, country="US")
    w.approve(c6, at(3, 2))
    w.ship(c6, at(3, 5))
    # c7, CA, A3302: filed in January, untouched.
    w.claim(at(1, 5), product=two, country="CA")

    # Incidents (announced 2024-12-05).
    w.incident(at(1, 8), kinds={"fire"}, country="US", occurred_on=date(2024, 11, 20))
    i2 = w.incident(
        at(2, 3, 10), kinds={"injury", "fire"}, country="CA", occurred_on=date(2025, 2, 2)
    )
    with clock(at(2, 20)):
        incident_record_written_report(incident_id=i2.pk, user=manager)  # due 13 Feb: late
    with clock(at(2, 4, 9)):
        incident_record_regulator_notice(incident_id=i2.pk, user=manager)  # due 5 Feb: on time
    w.incident(at(2, 10), kinds={"smoke"}, country="CA")  # no date, not known
    i4 = w.incident(at(2, 25, 10), kinds={"injury"}, country="US", occurred_on=date(2024, 12, 1))
    with clock(at(2, 28)):
        incident_record_regulator_notice(incident_id=i4.pk, user=manager)  # due 27 Feb: late
    w.incident(at(3, 2), kinds={"fire"}, country="CA", occurred_on=date(2025, 3, 1))
    w.incident(at(2, 12), kinds={"overheating"}, country="CA", timing="after")

    # Known purchasers and their notices.
    p1 = w.purchaser(1, "US", at(1, 2))
    p2 = w.purchaser(2, "CA", at(1, 2))
    p3 = w.purchaser(3, "CA", at(1, 2))
    p4 = w.purchaser(4, "CA", at(1, 2))
    p5 = w.purchaser(5, "US", at(1, 2))
    p6 = w.purchaser(6, "CA", at(3, 2))
    p7 = w.purchaser(7, "US", at(1, 2))
    w.notice(p1, sent=at(1, 3))
    w.notice(p2, sent=at(2, 3))
    w.notice(p2, sent=at(2, 20), kind=EmailKind.NOTICE_REMINDER)
    w.notice(p3, sent=at(1, 3))
    w.notice(p3, sent=at(2, 10), kind=EmailKind.NOTICE_REMINDER)
    w.notice(p4, state=EmailState.PENDING)
    w.notice(p5, state=EmailState.FAILED)
    w.notice(p6, sent=at(3, 3))
    w.notice(p7, sent=at(2, 15))
    # A claim email sent in February is no notice.
    OutboundEmailFactory(
        claim=c4,
        kind=EmailKind.VERIFIED,
        dedupe_key="test-claim-email",
        message_id="<test-claim-email@recallcases.test>",
        state=EmailState.SENT,
        sent_at=at(2, 15),
        next_attempt_at=at(2, 15),
    )

    # Another recall's February, which none of the figures above may count.
    other = World(
        RecallFactory(slug="power-banks", safety_contact_email="safety@example.com"), manager
    )
    stranger = other.claim(at(2, 3), product=ProductFactory(recall=other.recall), country="CA")
    other.approve(stranger, at(2, 4))
    other.ship(stranger, at(2, 5))
    other.step(stranger, S.DISPOSAL_SUBMITTED, at(2, 6), by=CONSUMER)
    other.step(stranger, S.DISPOSAL_CONFIRMED, at(2, 7))
    other.incident(at(2, 8), kinds={"injury"}, country="CA", occurred_on=date(2025, 2, 7))
    other.notice(other.purchaser(1, "CA", at(1, 2)), sent=at(2, 9))
    return w


# --- Reading pages and files ---------------------------------------------------------------------


class _Tables(HTMLParser):
    """The rows of a page's tables: {table id: {row key: [cell texts]}}, keyed by the row's
    data-figure, data-status, data-country, data-product or data-week attribute."""

    KEYS = ("data-figure", "data-status", "data-country", "data-product", "data-week")

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self.table = self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table = self.tables.setdefault(attrs.get("id", ""), {})
        elif tag == "tr" and self.table is not None:
            key = next((attrs[k] for k in self.KEYS if k in attrs), None)
            self.row = self.table.setdefault(key, []) if key else None
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables(response) -> dict[str, dict[str, list[str]]]:
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def headline(response) -> dict[str, str]:
    """The dashboard's headline figures: data-figure → the number shown."""
    page = response.content.decode()
    figures = {}
    for chunk in page.split('data-figure="')[1:]:
        key, rest = chunk.split('"', 1)
        if "<dd" in rest.split("</div>", 1)[0]:
            figures[key] = rest.split("<dd", 1)[1].split(">", 1)[1].split("</dd>", 1)[0].strip()
    return figures


def csv_rows(response) -> dict[tuple[str, str], dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.content.decode()))
    return {(row["section"], row["figure"]): row for row in reader}


def page(slug, name, month=FEBRUARY):
    return reverse(f"workspace:{name}", args=[slug, month])


# --- The dashboard -------------------------------------------------------------------------------


def test_dashboard_headline_figures(world, manager):
    # when: the recall manager opens the dashboard
    response = signed_in(manager).get(reverse("workspace:report_dashboard", args=["speakers"]))
    # then: units in scope, notices sent (distinct purchasers, sent only), claims, remedies
    # shipped, disposals confirmed and the correction rate (4 ÷ 1,000); claims from owners not on
    # the purchaser list have a test of their own below
    figures = headline(response)
    figures.pop("claims_not_on_list")
    assert figures == {
        "units_in_scope": "1,000",
        "notices_sent": "5",
        "claims": "7",
        "remedied": "4",
        "disposals_confirmed": "2",
        # this recall promises no dates (tests/reports/test_on_time.py tests one that does)
        "overdue": "0",
        "correction_rate": "0.40%",
    }


def test_dashboard_claims_by_status(world, manager):
    response = signed_in(manager).get(reverse("workspace:report_dashboard", args=["speakers"]))
    by_status = {status: cells[1] for status, cells in tables(response)["by-status"].items()}
    assert by_status == {
        **{status: "0" for status in S.values},
        S.SUBMITTED: "1",
        S.VERIFIED: "1",
        S.REPLACEMENT_SHIPPED: "2",
        S.DISPOSAL_CONFIRMED: "1",
        S.CLOSED: "1",
        S.REJECTED: "1",
    }


def test_dashboard_by_country_and_by_product(world, manager):
    response = signed_in(manager).get(reverse("workspace:report_dashboard", args=["speakers"]))
    found = tables(response)
    # then: by country, units in scope (Canada's 200, the United States the other 800), claims,
    # remedies shipped, disposals confirmed and the correction rate of each
    assert found["by-country"] == {
        "US": ["United States", "800", "3", "2", "1", "0.25%"],
        "CA": ["Canada", "200", "4", "2", "1", "1.00%"],
    }
    # and: by product, claims and remedies only (units in scope per product are not known)
    assert found["by-product"] == {
        "A3102": ["Soundcore speaker (A3102)", "4", "3", "2"],
        "A3302": ["PowerConf S3 (A3302)", "3", "1", "0"],
    }
    assert "Units in scope per product are not known" in response.content.decode()


def test_dashboard_weekly_correction_rate(world, manager):
    response = signed_in(manager).get(reverse("workspace:report_dashboard", args=["speakers"]))
    weekly = tables(response)["weekly"]
    # then: the weeks run from the announcement's (2024-W49) to this one, cumulative, each
    # claim counted from the week its remedy first shipped
    weeks = list(weekly)
    assert weeks[0] == "2024-W49"
    year, week, _day = timezone.localdate().isocalendar()
    assert weeks[-1] == f"{year}-W{week:02d}"
    assert weekly["2024-W49"] == ["2024-W49", "2024-12-08", "0", "0.00%"]
    assert weekly["2025-W03"][2:] == ["0", "0.00%"]
    assert weekly["2025-W04"][2:] == ["1", "0.10%"]  # c1, 20 January
    assert weekly["2025-W06"][2:] == ["1", "0.10%"]  # c1's refused proof adds nothing
    assert weekly["2025-W07"][2:] == ["2", "0.20%"]  # c2, 10 February
    assert weekly["2025-W08"][2:] == ["3", "0.30%"]  # c3, 20 February
    assert weekly["2025-W09"][2:] == ["3", "0.30%"]
    assert weekly["2025-W10"][2:] == ["4", "0.40%"]  # c6, 5 March
    assert weekly[weeks[-1]][2:] == ["4", "0.40%"]  # and so to this week


def test_dashboard_draws_accessible_charts_without_inline_styles(world, manager):
    response = signed_in(manager).get(reverse("workspace:report_dashboard", args=["speakers"]))
    content = response.content.decode()
    # then: four server-drawn SVG charts, each named and described for screen readers
    for chart in ("chart-status", "chart-product", "chart-country", "chart-weekly"):
        assert f'id="{chart}"' in content
        assert f'<title id="{chart}-title">' in content
        assert f'<desc id="{chart}-desc">' in content
    assert "Soundcore speaker (A3102): 4 claims, 3 remedied" in content
    # and: nothing the Content Security Policy would block, nothing from another site
    assert "style=" not in content
    assert "<script>" not in content
    assert "cdn" not in content.lower()
    assert 'media="print"' in content


def test_dashboard_queries_do_not_grow_with_the_number_of_claims(recall, manager):
    client = signed_in(manager)
    w = World(recall, manager)
    product = ProductFactory(recall=recall)

    def add(count, offset):
        for n in range(count):
            claim = w.claim(at(1, 1 + n % 28), product=product, country="CA" if n % 2 else "US")
            if n % 3 == 0:
                w.approve(claim, at(2, 1))
                w.ship(claim, at(2, 1 + (n + offset) % 27))

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    # given: ten claims
    add(10, 0)
    few = {name: queries(url) for name, url in pages_of(recall)}
    # when: a hundred
    add(90, 10)
    # then: every report page asks the database as many times
    assert {name: queries(url) for name, url in pages_of(recall)} == few


def pages_of(recall):
    """Every report page of `recall` (February 2025's reports), by URL name."""
    yield "report_dashboard", reverse("workspace:report_dashboard", args=[recall.slug])
    for name in (
        "report_cpsc",
        "report_cpsc_csv",
        "report_health_canada",
        "report_health_canada_csv",
    ):
        yield name, page(recall.slug, name)


def test_the_selectors_count_in_a_few_queries(world, django_assert_num_queries):
    recall, month = world.recall, report_month(FEBRUARY)
    # claims grouped by status, country and product; the products; the weeks; the notices (this
    # recall promises nothing: no count of claims past a promise, no on-time weeks)
    with django_assert_num_queries(4):
        recall_dashboard(recall=recall)
    # claims, incidents, notices, phone calls
    with django_assert_num_queries(4):
        cpsc_report(recall=recall, month=month)
    with django_assert_num_queries(5):
        health_canada_report(recall=recall, month=month)


# --- The CPSC monthly progress report ------------------------------------------------------------

# February 2025: (this period, cumulative to its end) of each figure, worked out from the world.
CPSC_FEBRUARY = {
    ("units", "manufacturer"): ("0", "0", "0"),
    ("units", "distributors"): ("0", "0", "0"),
    ("units", "retailers"): ("0", "0", "0"),
    # c2 (10 Feb) and c3 (20 Feb) this period; c1 (20 Jan) too, cumulative; c6 (March) not yet
    ("units", "consumers"): ("1000", "2", "3"),
    ("units", "total"): ("1000", "2", "3"),
    ("units", "correction_rate"): ("", "0.20%", "0.30%"),
    # by the remedy given: replacements c2 (February) and c1 (January); the refund c3 (February)
    ("units", "corrected_replacement"): ("", "1", "2"),
    ("units", "corrected_refund"): ("", "1", "1"),
    # learned in February: i2 (after), i3 (not known), i4 (before), i6 (after, as told); i1 in
    # January (before) is cumulative only, i5 in March is in neither
    ("incidents", "incidents"): ("", "4", "5"),
    ("incidents", "incidents_before"): ("", "1", "2"),
    ("incidents", "incidents_after"): ("", "2", "2"),
    ("incidents", "incidents_unknown"): ("", "1", "1"),
    ("incidents", "injuries"): ("", "2", "2"),
    ("incidents", "injuries_before"): ("", "1", "1"),
    ("incidents", "injuries_after"): ("", "1", "1"),
    ("incidents", "injuries_unknown"): ("", "0", "0"),
    ("incidents", "deaths"): ("", "0", "0"),
    ("incidents", "fires"): ("", "1", "2"),
    # by email: p2, p3 (a reminder) and p7 in February; p1 in January; p6 in March; p4 pending
    # and p5 failed never
    ("notified", "phone"): ("", "0", "0"),
    ("notified", "email"): ("", "3", "4"),
    ("notified", "mail"): ("", "0", "0"),
    # claims filed: c3, c4, c5 in February; c1, c2, c7 in January
    ("contacted", "web_claims"): ("", "3", "6"),
    ("contacted", "web_incident_reports"): ("", "4", "5"),
    ("contacted", "phone"): ("", "0", "0"),
    ("contacted", "email"): ("", "", ""),
    ("visits", "recall_page"): ("", "", ""),
}


def test_cpsc_csv_has_every_figure(world, manager):
    rows = csv_rows(signed_in(manager).get(page("speakers", "report_cpsc_csv")))
    found = {
        key: (r["total_affected"], r["this_period"], r["cumulative"]) for key, r in rows.items()
    }
    assert found == CPSC_FEBRUARY
    assert list(next(iter(rows.values()))) == [
        "section",
        "figure",
        "label",
        "total_affected",
        "this_period",
        "cumulative",
        "note",
    ]


def test_cpsc_csv_says_what_is_not_recorded(world, manager):
    rows = csv_rows(signed_in(manager).get(page("speakers", "report_cpsc_csv")))
    for key in [
        ("units", "manufacturer"),
        ("units", "distributors"),
        ("units", "retailers"),
        ("notified", "phone"),
        ("notified", "mail"),
        ("contacted", "email"),
    ]:
        assert rows[key]["note"] == "Not recorded in recallcases.", key
    # phone contacts are the calls agents log (tests/workspace/test_callcentre.py)
    assert "call-centre agents" in rows["contacted", "phone"]["note"]
    assert "no field for a death" in rows["incidents", "deaths"]["note"]
    assert "no page analytics" in rows["visits", "recall_page"]["note"]


def test_cpsc_page_shows_every_figure(world, manager):
    response = signed_in(manager).get(page("speakers", "report_cpsc"))
    found = tables(response)
    for (section, figure), values in CPSC_FEBRUARY.items():
        cells = found[section][figure]  # the label, the values, the note
        if section == "units":
            expected = [_page_number(value) for value in values]
        else:  # no units affected column; an empty value is one recallcases does not record
            expected = [_page_number(value) if value else "not recorded" for value in values[1:]]
        assert cells[1:-1] == expected, (section, figure)
    content = response.content.decode()
    # and: the month, the regulator's reference, the footnotes, the CSV and the print style
    assert "CPSC monthly progress report — February 2025" in content
    assert "25-123" in content
    assert "Not recorded in recallcases." in content
    assert "recallcases does not track stock at the manufacturer" in content
    assert page("speakers", "report_cpsc_csv") in content
    assert 'href="/static/css/print.css" media="print"' in content


def _page_number(value: str) -> str:
    """A CSV value as the page writes it: thousands grouped, "–" where nothing applies."""
    if value == "":
        return "–"
    return f"{int(value):,}" if value.isdigit() else value


def test_cpsc_report_of_another_month(world, manager):
    # when: the report for January 2025
    rows = csv_rows(signed_in(manager).get(page("speakers", "report_cpsc_csv", "2025-01")))
    # then: c1 only was corrected, i1 only was learned, p1 and p3 were notified
    assert rows["units", "consumers"]["this_period"] == "1"
    assert rows["units", "consumers"]["cumulative"] == "1"
    assert rows["incidents", "incidents_before"]["this_period"] == "1"
    assert rows["incidents", "incidents"]["cumulative"] == "1"
    assert rows["notified", "email"]["this_period"] == "2"
    assert rows["contacted", "web_claims"]["this_period"] == "3"


def test_a_disposal_first_recall_counts_a_unit_corrected_when_its_remedy_ships(manager):
    # given: a recall that wants proof of disposal before the remedy ships; a claim disposed of
    # in February and shipped in March
    recall = RecallFactory(disposal_before_shipping=True)
    w = World(recall, manager)
    claim = w.claim(at(1, 10), product=ProductFactory(recall=recall))
    w.approve(claim, at(1, 12))
    w.step(claim, S.DISPOSAL_SUBMITTED, at(2, 1), by=CONSUMER)
    w.step(claim, S.DISPOSAL_CONFIRMED, at(2, 2))
    w.ship(claim, at(3, 3))
    # when: the reports for February and March
    february = cpsc_report(recall=recall, month=report_month(FEBRUARY))
    march = health_canada_report(recall=recall, month=report_month("2025-03"))
    # then: corrected in March, not in February; its disposal counts in February
    assert february.section("units").figure("consumers").values == (1000, 0, 0)
    assert march.section("units").figure("corrected").values == (1, 1, 1, 1)
    assert march.section("units").figure("disposals_confirmed").values == (0, 1, 0, 1)


def test_a_shipment_without_its_step_still_counts_the_unit_corrected(recall, manager):
    # given: a claim whose shipment was recorded without the "replacement shipped" step (as
    # data brought over from another system would be), in February
    w = World(recall, manager)
    claim = w.claim(at(1, 10), product=ProductFactory(recall=recall), country="CA")
    with clock(at(2, 14)):
        Shipment.objects.create(
            claim=claim, carrier="UPS", tracking_number="1ZLEGACY", recorded_by=manager
        )
    # when: February's reports
    cpsc = cpsc_report(recall=recall, month=report_month(FEBRUARY))
    health_canada = health_canada_report(recall=recall, month=report_month(FEBRUARY))
    # then: corrected in February, and exchanged in Canada
    assert cpsc.section("units").figure("consumers").values == (1000, 1, 1)
    assert health_canada.section("units").figure("exchanged").values == (1, 1, 1, 1)


# --- The Health Canada report --------------------------------------------------------------------

# February 2025: (Canada this period, Canada cumulative, all this period, all cumulative).
HEALTH_CANADA_FEBRUARY = {
    ("units", "affected"): ("", "200", "", "1000"),
    ("units", "returned"): ("0", "0", "0", "0"),
    # replacements: c2 (CA, 10 Feb), c1 (US, 20 Jan); c6 (US) ships in March
    ("units", "exchanged"): ("1", "1", "1", "2"),
    # refunds: c3 (CA, 20 Feb)
    ("units", "refunded"): ("1", "1", "1", "1"),
    ("units", "other_remedy"): ("0", "0", "0", "0"),
    ("units", "corrected"): ("2", "2", "2", "3"),
    ("units", "corrected_replacement"): ("1", "1", "1", "2"),
    ("units", "corrected_refund"): ("1", "1", "1", "1"),
    # c1 (US) confirmed 5 Feb; c2 (CA) on 2 March
    ("units", "disposals_confirmed"): ("0", "0", "1", "1"),
    ("units", "effectiveness"): ("1.00%", "1.00%", "0.20%", "0.30%"),
    # on the list by the end of February: p1-p5 and p7; p6 came in March
    ("notification", "purchasers_on_list"): ("", "3", "", "6"),
    # p2 and p3 in Canada, p7 in the US, this period; p1 (US) in January
    ("notification", "direct_notices"): ("2", "2", "3", "4"),
    ("notification", "recall_page"): ("", "", "", ""),
    # Canada: i2, i3 and i6 (learned in February); all: i4 (US) too, and i1 (US, January)
    ("incidents", "incidents"): ("3", "3", "4", "5"),
    ("incidents", "injuries"): ("1", "1", "2", "2"),
    ("incidents", "fires"): ("1", "1", "1", "2"),
    # told within 2 days: i2; late: i4; every other one is overdue by now (2 days long past)
    ("incidents", "notice_on_time"): ("1", "1", "1", "1"),
    ("incidents", "notice_late"): ("0", "0", "1", "1"),
    ("incidents", "notice_open"): ("0", "0", "0", "0"),
    ("incidents", "notice_overdue"): ("2", "2", "2", "3"),
    # written report: i2 filed late; none other filed
    ("incidents", "report_on_time"): ("0", "0", "0", "0"),
    ("incidents", "report_late"): ("1", "1", "1", "1"),
    ("incidents", "report_open"): ("0", "0", "0", "0"),
    ("incidents", "report_overdue"): ("2", "2", "3", "4"),
}
HC_COLUMNS = ("canada_this_period", "canada_cumulative", "all_this_period", "all_cumulative")


def test_health_canada_csv_has_every_figure(world, manager):
    rows = csv_rows(signed_in(manager).get(page("speakers", "report_health_canada_csv")))
    found = {key: tuple(row[column] for column in HC_COLUMNS) for key, row in rows.items()}
    assert found == HEALTH_CANADA_FEBRUARY
    assert "not shipped back" in rows["units", "returned"]["note"]
    recall_page = rows["notification", "recall_page"]["note"]
    assert "/en/speakers/" in recall_page and "/fr-ca/speakers/" in recall_page
    assert "visits are not recorded" in recall_page


def test_health_canada_page_shows_every_figure(world, manager):
    response = signed_in(manager).get(page("speakers", "report_health_canada"))
    found = tables(response)
    for (section, figure), values in HEALTH_CANADA_FEBRUARY.items():
        expected = [
            "not recorded" if figure == "recall_page" else _page_number(value) for value in values
        ]
        assert found[section][figure][1:5] == expected, (section, figure)
    content = response.content.decode()
    assert "Health Canada recall effectiveness report — February 2025" in content
    assert "RA-98765" in content
    assert "Lithium-ion units are not shipped back" in content


def test_health_canada_clocks_still_running_are_open(recall, manager):
    # given: an incident in Canada learned an hour ago, nothing recorded yet
    now = timezone.now()
    World(recall, manager).incident(now, kinds={"smoke"}, country="CA")
    # when: this month's report
    report = health_canada_report(recall=recall, month=report_month(f"{now:%Y-%m}"))
    # then: both of its clocks are open, none overdue, and the month is said to be running
    incidents = report.section("incidents")
    assert incidents.figure("notice_open").values == (1, 1, 1, 1)
    assert incidents.figure("report_open").values == (1, 1, 1, 1)
    assert incidents.figure("notice_overdue").values == (0, 0, 0, 0)
    assert report.in_progress


def test_health_canada_clocks_do_not_apply_to_a_recall_not_sold_in_canada(manager):
    recall = RecallFactory(countries=["US"], units_affected_canada=0)
    World(recall, manager).incident(at(2, 3), kinds={"smoke"}, country="US")
    report = health_canada_report(recall=recall, month=report_month(FEBRUARY))
    incidents = report.section("incidents")
    assert incidents.figure("incidents").values == (0, 0, 1, 1)
    assert incidents.figure("notice_overdue").values == (0, 0, 0, 0)
    assert "do not apply" in str(incidents.figure("notice_overdue").note)


# --- Months and access ---------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2025-13", "2025-00", "25-02", "february", "2999-01"])
def test_a_month_that_is_none_or_not_begun_is_not_found(world, manager, month):
    client = signed_in(manager)
    for name in ("report_cpsc", "report_cpsc_csv", "report_health_canada_csv"):
        assert client.get(page("speakers", name, month)).status_code == 404


def test_an_unknown_recall_is_not_found(manager):
    client = signed_in(manager)
    assert client.get(reverse("workspace:report_dashboard", args=["nope"])).status_code == 404
    assert client.get(page("nope", "report_cpsc")).status_code == 404


def test_the_month_picker_offers_every_month_since_the_announcement(world, manager):
    response = signed_in(manager).get(page("speakers", "report_health_canada"))
    content = response.content.decode()
    this_month = f"{timezone.localdate():%Y-%m}"
    assert page("speakers", "report_health_canada", "2024-12") in content
    assert page("speakers", "report_health_canada", this_month) in content
    assert page("speakers", "report_health_canada", "2024-11") not in content
    assert 'aria-current="page">Feb 2025</a>' in content


def test_reports_list_links_this_months_reports(world, manager):
    response = signed_in(manager).get(reverse("workspace:reports"))
    content = response.content.decode()
    this_month = f"{timezone.localdate():%Y-%m}"
    assert reverse("workspace:report_dashboard", args=["speakers"]) in content
    assert page("speakers", "report_cpsc", this_month) in content
    assert page("speakers", "report_health_canada", this_month) in content
    # and: the workspace's menu leads there
    assert f'href="{reverse("workspace:reports")}"' in content


def test_the_dashboard_links_each_months_reports(world, manager):
    response = signed_in(manager).get(reverse("workspace:report_dashboard", args=["speakers"]))
    content = response.content.decode()
    this_month = f"{timezone.localdate():%Y-%m}"
    for name in ("report_cpsc", "report_cpsc_csv", "report_health_canada_csv"):
        assert page("speakers", name, this_month) in content
        assert page("speakers", name, "2024-12") in content


def test_csv_download_is_an_attachment_never_cached(world, manager):
    response = signed_in(manager).get(page("speakers", "report_health_canada_csv"))
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="health-canada-speakers-2025-02.csv"'
    )
    assert response["Cache-Control"] == "no-store, private"


@pytest.mark.parametrize("role", [REVIEWER, FULFILMENT, ADMINISTRATOR])
def test_other_roles_neither_see_nor_open_the_reports(recall, role):
    client = signed_in(member_of(role))
    assert client.get(reverse("workspace:reports")).status_code == 403
    assert client.get(page(recall.slug, "report_cpsc_csv")).status_code == 403
    queue = client.get(reverse("workspace:queue"))
    if queue.status_code == 200:
        assert f'href="{reverse("workspace:reports")}"' not in queue.content.decode()


def test_roles_sync_gives_recall_managers_and_no_one_else_the_reports(roles):
    # given: the roles, without the right to see reports
    for group in Group.objects.all():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="reports"))
    # when
    roles_sync()
    # then: recall managers, and no other role, hold it
    holders = Group.objects.filter(
        permissions__content_type__app_label="reports", permissions__codename="view_reports"
    ).values_list("name", flat=True)
    assert set(holders) == {RECALL_MANAGER}


def test_dashboard_counts_claims_from_owners_not_on_the_purchaser_list(client, db):
    from recallcases.notices.models import Purchaser
    from recallcases.recalls.demo import demo_recall_load
    from tests.factories import ClaimFactory
    from tests.workspace.conftest import member_of

    recall = demo_recall_load()
    speaker = recall.products.get(model="A3102")
    # given: a purchaser list with one buyer; one claim from that buyer (by serial), one from a
    # buyer found by email, and two from owners the list does not know
    Purchaser.objects.create(
        recall=recall,
        name="Listed",
        email="listed@example.com",
        serial="A3102DMX10000101",
        country="US",
    )
    Purchaser.objects.create(
        recall=recall, name="By email", email="byemail@example.com", country="CA"
    )
    ClaimFactory(product=speaker, serial="A3102DMX10000101", email="other@example.com")
    ClaimFactory(product=speaker, serial="A3102DMX10000102", email="byemail@example.com")
    ClaimFactory(product=speaker, serial="A3102DMX10000103", email="gift@example.com")
    ClaimFactory(product=speaker, serial="A3102DMX10000104", email="secondhand@example.com")
    client.force_login(member_of("Recall manager"))
    # when
    page = client.get(f"/workspace/reports/{recall.slug}/").content.decode()
    # then
    figure = re.search(r'data-figure="claims_not_on_list">.*?<dd[^>]*>([^<]+)</dd>', page, re.S)
    assert figure.group(1).strip() == "2"
