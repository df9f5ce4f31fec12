"""The reports read the claim tallies the database keeps (ADR 0011): every figure equals the one
counted from the claims themselves, as SQLite and other time zones count them."""

from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from django.contrib.auth import get_user_model

from recallcases.claims.models import Channel, Claim, ClaimStatus, Shipment
from recallcases.claims.services import claim_ship
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
