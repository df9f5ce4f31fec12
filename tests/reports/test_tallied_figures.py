"""The reports read the claim tallies the database keeps (ADR 0011): every figure equals the one
counted from the claims themselves, as SQLite and other time zones count them."""

from datetime import UTC, date, datetime
from unittest.mock import patch

import pytest
from django.contrib.auth import get_user_model

from recallcases.claims import selectors as claims_selectors
from recallcases.claims.models import Channel, Claim, ClaimStatus, Shipment
from recallcases.claims.services import claim_ship
from recallcases.claims.services.milestones import claim_tallies_rebuild
from recallcases.claims.transitions import CONSUMER, Actor, claim_transition
from recallcases.reports.selectors import dashboard, figures
from recallcases.reports.selectors.cpsc import cpsc_report
from recallcases.reports.selectors.health_canada import health_canada_report
from recallcases.reports.selectors.periods import ReportMonth
from tests.factories import ClaimFactory, ProductFactory, RecallFactory

pytestmark = pytest.mark.django_db
S = ClaimStatus


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def test_tallied_reports_equal_the_reports_counted_from_the_claims():
    # given: claims over three months and two countries, shipped, confirmed, a lone shipment, one
    # remedied at a month's last second and one just after midnight; two remedies (a refund
    # chosen at filing, one changed after its shipment) and claims filed by phone
    boss = get_user_model().objects.create_superuser("tallied", password="x" * 20)
    staff = Actor.staff(boss)
    recall = RecallFactory(
        units_affected=500,
        units_affected_canada=100,
        remedies=[
            "replacement",
            {"remedy": "refund", "label_en": "Refund", "value": "30.00", "currency": "USD"},
        ],
    )
    products = [ProductFactory(recall=recall), ProductFactory(recall=recall)]
    moments = [at(1, 5), at(1, 31, 23), at(2, 1, 0), at(2, 14), at(3, 2)]
    for n, moment in enumerate(moments * 2):
        with patch("django.utils.timezone.now", return_value=moment):
            claim = ClaimFactory(
                recall=recall,
                product=products[n % 2],
                country="CA" if n % 3 == 0 else "US",
                channel=Channel.PHONE if n % 3 == 1 else Channel.WEB,
            )
            if n % 4 == 3:
                Claim.objects.filter(pk=claim.pk).update(remedy="refund")
                continue
            for status in (S.VERIFIED, S.REPLACEMENT_APPROVED):
                claim_transition(claim_id=claim.pk, to_status=status, actor=staff, note="n")
            if n % 5 == 4:
                Shipment.objects.create(claim=claim, carrier="UPS", tracking_number=f"1ZL{n}",
                                        recorded_by=boss)  # fmt: skip
                continue
            claim_ship(claim_id=claim.pk, actor=staff, carrier="UPS", tracking_number=f"1ZT{n}")
            if n % 2 == 0:
                claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_SUBMITTED, actor=CONSUMER)
                claim_transition(
                    claim_id=claim.pk, to_status=S.DISPOSAL_CONFIRMED, actor=staff, note="n"
                )
    # a remedy changed after it shipped moves the claim's counts to its new remedy
    changed = Claim.objects.filter(recall=recall, first_shipped_at__isnull=False).first()
    Claim.objects.filter(pk=changed.pk).update(remedy="refund")
    months = [ReportMonth(at(m, 1).date()) for m in (1, 2, 3)]
    today = at(3, 20).date()
    now = at(3, 20)

    def reports():
        board = dashboard.recall_dashboard(recall=recall, today=today)
        return (
            board,
            [figures.claim_counts(recall=recall, month=m) for m in months],
            [cpsc_report(recall=recall, month=m, now=now).sections for m in months],
            [health_canada_report(recall=recall, month=m, now=now).sections for m in months],
        )

    # when: from the tallies, and counted from the claims
    tallied = reports()
    with (
        patch.object(claims_selectors, "tallies_kept", lambda: False),
        patch.object(dashboard, "tallies_kept", lambda: False),
        patch.object(figures, "tallies_kept", lambda: False),
    ):
        counted = reports()
    # then: the same dashboard (groups and weekly trend) and the same monthly reports
    assert tallied[0].remedied > 0 and tallied[0].disposals_confirmed > 0
    by_remedy = {row.remedy: (row.claims, row.remedied) for row in tallied[0].by_remedy}
    assert by_remedy["refund"][0] > 0 and by_remedy["refund"][1] == 1
    march = tallied[1][2]
    assert march["all_remedied_refund_cumulative"] == 1
    assert 0 < march["all_filed_web_cumulative"] < march["all_filed_cumulative"]
    assert tallied == counted


def test_promised_date_figures_from_the_tallies_equal_those_counted_from_the_claims():
    # given: a recall promising verification within 5 business days of filing and shipping
    # within 10; today is Thursday 20 March 2025
    boss = get_user_model().objects.create_superuser("promises", password="x" * 20)
    staff = Actor.staff(boss)
    recall = RecallFactory(promised_business_days={"verified": 5, "replacement_shipped": 10})
    product = ProductFactory(recall=recall)
    now = at(3, 20)

    def claim(filed, *steps, ship=None, shipment=None):
        with patch("django.utils.timezone.now", return_value=filed):
            made = ClaimFactory(recall=recall, product=product)
        for moment, status, actor in steps:
            with patch("django.utils.timezone.now", return_value=moment):
                claim_transition(claim_id=made.pk, to_status=status, actor=actor, note="n")
        if ship:
            with patch("django.utils.timezone.now", return_value=ship):
                claim_ship(
                    claim_id=made.pk, actor=staff, carrier="UPS", tracking_number=f"1Z{made.pk}"
                )
        if shipment:
            with patch("django.utils.timezone.now", return_value=shipment):
                Shipment.objects.create(claim=made, carrier="UPS", tracking_number=f"1L{made.pk}",
                                        recorded_by=boss)  # fmt: skip
        return made

    verified = (at(3, 4), S.VERIFIED, staff)
    approved = (at(3, 4), S.REPLACEMENT_APPROVED, staff)
    claim(at(3, 18))  # within its promises
    claim(at(3, 13, 23))  # due verified on Thursday 20: the last day, not past it
    claim(at(3, 12, 23))  # due Wednesday 19: past it
    claim(at(3, 3), verified, approved)  # verified, never shipped: past the shipping promise
    claim(at(3, 3), verified, approved, ship=at(3, 5))  # shipped on time
    claim(at(3, 3), verified, approved, ship=at(3, 19))  # shipped late
    claim(at(3, 3), verified, approved, shipment=at(3, 18))  # a lone shipment, late (due 17th)
    claim(at(3, 3), (at(3, 4), S.WITHDRAWN, CONSUMER))  # withdrawn: over
    asked = (at(3, 4), S.INFORMATION_REQUESTED, staff)
    claim(at(3, 3), asked)  # waits for the consumer
    claim(at(3, 3), asked, (at(3, 6), S.RESUBMITTED, CONSUMER))  # sent it: overdue again
    # a claim's filing moved after the fact (an import correcting it) moves its tallies too
    moved = claim(at(3, 19))
    Claim.objects.filter(pk=moved.pk).update(created_at=at(2, 3))
    # a stale copy of a claim saved whole keeps the statuses the database says it reached
    stale = claim(at(3, 3), verified)
    Claim.objects.get(pk=stale.pk)  # read before its next step
    copy = Claim.objects.get(pk=stale.pk)
    claim_transition(claim_id=stale.pk, to_status=S.REPLACEMENT_APPROVED, actor=staff, note="n")
    copy.save()

    def promise_figures():
        return (
            figures.overdue_count(recall=recall, now=now),
            figures.shipped_on_time_by_week(recall=recall),
        )

    # when: from the tallies, and counted from the claims
    tallied = promise_figures()
    with (
        patch.object(claims_selectors, "tallies_kept", lambda: False),
        patch.object(figures, "tallies_kept", lambda: False),
    ):
        counted = promise_figures()
    # then: the same figures: past due the Wednesday claim, the unshipped, the lone shipment, the
    # resubmitted, the moved one and the stale copy's claim (approved, not shipped)
    assert tallied == counted
    assert tallied[0] == 6
    assert tallied[1] == {
        date(2025, 3, 3): figures.Rate(1, 1),
        date(2025, 3, 17): figures.Rate(0, 2),
    }
    assert Claim.objects.get(pk=stale.pk).reached == "replacement_approved submitted verified"
    assert claim_tallies_rebuild() == 0
