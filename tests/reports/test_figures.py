"""The dashboard and the regulators' reports read one definition of each figure: asked about the
same recall and period, they give the same units remedied and disposals confirmed."""

import pytest
from django.contrib.auth import get_user_model

from recallcases.claims.models import ClaimStatus, Shipment
from recallcases.claims.services import claim_ship
from recallcases.claims.transitions import CONSUMER, Actor, claim_transition
from recallcases.reports.selectors.cpsc import cpsc_report
from recallcases.reports.selectors.dashboard import recall_dashboard
from recallcases.reports.selectors.health_canada import health_canada_report
from recallcases.reports.selectors.periods import current_month
from recallcases.workspace.roles import RECALL_MANAGER
from tests.conftest import member_of
from tests.factories import ClaimFactory, ProductFactory, RecallFactory

pytestmark = pytest.mark.django_db

S = ClaimStatus


def test_dashboard_and_regulator_reports_agree_on_units_remedied():
    # given: this month, in one recall: a claim shipped the usual way (CA); one whose proof of
    # disposal was refused, so shipped twice, then confirmed disposed of (US); a shipment recorded
    # without its step (US); a claim approved, not shipped (CA); and another recall's shipped claim
    user = member_of(RECALL_MANAGER)
    staff = Actor.staff(get_user_model().objects.get(pk=user.pk))
    recall = RecallFactory(units_affected=100, units_affected_canada=40, countries=["US", "CA"])
    product = ProductFactory(recall=recall)
    tracking = iter(range(1, 100))

    def step(claim, *statuses, by=staff):
        for status in statuses:
            claim_transition(claim_id=claim.pk, to_status=status, actor=by, note="noted")

    def ship(claim):
        claim_ship(
            claim_id=claim.pk, actor=staff, carrier="UPS", tracking_number=f"1ZF{next(tracking)}"
        )

    shipped = ClaimFactory(recall=recall, product=product, country="CA")
    step(shipped, S.VERIFIED, S.REPLACEMENT_APPROVED)
    ship(shipped)
    refused = ClaimFactory(recall=recall, product=product, country="US")
    step(refused, S.VERIFIED, S.REPLACEMENT_APPROVED)
    ship(refused)
    step(refused, S.DISPOSAL_SUBMITTED, by=CONSUMER)
    step(refused, S.REPLACEMENT_SHIPPED)
    step(refused, S.DISPOSAL_SUBMITTED, by=CONSUMER)
    step(refused, S.DISPOSAL_CONFIRMED)
    legacy = ClaimFactory(recall=recall, product=product, country="US")
    Shipment.objects.create(
        claim=legacy, carrier="UPS", tracking_number="1ZLEGACY", recorded_by=user
    )
    waiting = ClaimFactory(recall=recall, product=product, country="CA")
    step(waiting, S.VERIFIED, S.REPLACEMENT_APPROVED)
    stranger = ClaimFactory(country="CA")
    step(stranger, S.VERIFIED, S.REPLACEMENT_APPROVED)
    ship(stranger)

    # when: the dashboard (now) and this month's reports (cumulative: up to now)
    dashboard = recall_dashboard(recall=recall)
    cpsc = cpsc_report(recall=recall, month=current_month())
    health_canada = health_canada_report(recall=recall, month=current_month())

    # then: three units remedied (each counted once, the lone shipment too), one disposal, the
    # same in every report, in total and in Canada
    by_country = {row.country: row for row in dashboard.by_country}
    corrected = health_canada.section("units").figure("corrected").values
    disposed = health_canada.section("units").figure("disposals_confirmed").values
    assert dashboard.remedied == 3
    assert cpsc.section("units").figure("consumers").values == (100, 3, 3)
    assert corrected == (1, by_country["CA"].remedied, 3, dashboard.remedied)
    assert dashboard.weekly[-1].remedied == dashboard.remedied
    assert disposed == (0, by_country["CA"].disposals_confirmed, 1, dashboard.disposals_confirmed)
    assert str(cpsc.section("units").figure("correction_rate").values[2]) == str(
        dashboard.correction_rate
    )
