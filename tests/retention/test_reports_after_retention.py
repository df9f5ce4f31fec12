"""The regulators' monthly reports and the dashboard add up the same before and after the
retention schedule has removed every personal detail it may: the figures are counted from what
anonymisation keeps (statuses, events, shipments, countries, dates, outbox rows).

The recall's history is the one the reports' own tests build (tests/reports/test_reports.py).
"""

from datetime import UTC, date, datetime

import pytest

from recallcases.claims.models import Claim
from recallcases.incidents.models import Incident
from recallcases.notices.models import Purchaser
from recallcases.notifications.models import OutboundEmail
from recallcases.reports.selectors.cpsc import cpsc_report
from recallcases.reports.selectors.dashboard import recall_dashboard
from recallcases.reports.selectors.health_canada import health_canada_report
from recallcases.reports.selectors.periods import report_month
from recallcases.retention.services import KINDS, retention_apply
from tests.reports import test_reports

# The fixtures that build the reports' own history (and the recall and manager it is built with).
manager, recall, world = test_reports.manager, test_reports.recall, test_reports.world

pytestmark = pytest.mark.django_db

MONTHS = ("2024-12", "2025-01", "2025-02", "2025-03")
REPORTED_AT = datetime(2025, 4, 1, tzinfo=UTC)


def figures(of) -> list:
    """Every figure the dashboard and both monthly reports show, as plain values."""
    shown = []
    for text in MONTHS:
        month = report_month(text, today=date(2025, 4, 1))
        for report in (cpsc_report, health_canada_report):
            shown += [
                (report.__name__, text, section.key, figure.key, figure.values)
                for section in report(recall=of, month=month, now=REPORTED_AT).sections
                for figure in section.figures
            ]
    board = recall_dashboard(recall=of, today=date(2025, 4, 1))
    shown.append((board.units_in_scope, board.claims, board.notices_sent, board.remedied))
    shown.append(board.disposals_confirmed)
    shown += [(row.status, row.claims) for row in board.by_status]
    shown += [
        (row.country, row.units_in_scope, row.claims, row.remedied, row.disposals_confirmed)
        for row in board.by_country
    ]
    shown += [
        (row.product.pk, row.claims, row.remedied, row.disposals_confirmed)
        for row in board.by_product
    ]
    shown += [(point.monday, point.remedied) for point in board.weekly]
    return shown


def test_reports_and_dashboard_add_up_the_same_after_anonymisation(world):
    # given: the figures as they stand, every kind of personal data present
    speakers = world.recall
    before = figures(speakers)
    assert len(before) > 100
    assert Claim.objects.filter(recall=speakers).exclude(name="").exists()

    # when: the schedule runs when everything of 2025 is past its time
    report = retention_apply(now=datetime(2032, 6, 1, tzinfo=UTC))

    # then: something of every kind but photos (this history has none) was removed...
    assert {kind for kind, n in report.totals.items() if n} == set(KINDS) - {"claim photos"}
    ended = Claim.objects.filter(recall=speakers, status__in=("closed", "rejected"))
    assert ended.count() == 2 and set(ended.values_list("name", "email")) == {("", "")}
    assert set(Purchaser.objects.filter(recall=speakers).values_list("email", flat=True)) == {""}
    reporters = Incident.objects.filter(recall=speakers).values_list("contact_email", flat=True)
    assert set(reporters) == {""}
    assert not OutboundEmail.objects.exclude(recipient="").filter(state="sent").exists()
    # ...and every figure is what it was
    assert figures(speakers) == before
