"""The dashboard's promised-date figures: claims past a promised date, and the share of remedies
shipped by the promised date, week by week."""

import datetime

import pytest
from django.utils import timezone

from recallcases.claims.lifecycle import ClaimStatus as S
from recallcases.claims.models import Claim, Shipment
from recallcases.reports.selectors.dashboard import recall_dashboard
from recallcases.reports.selectors.figures import Rate
from tests.factories import ClaimFactory, staff_user

pytestmark = pytest.mark.django_db


def _filed(claim, days_ago: int) -> Claim:
    Claim.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    return claim


def _shipped(claim, user, number: str) -> Claim:
    Shipment.objects.create(claim=claim, carrier="UPS", tracking_number=number, recorded_by=user)
    return claim


def test_dashboard_on_time_share_and_overdue_count(
    client, recall, speaker, manager, as_user, django_assert_num_queries
):
    # given: the speaker recall promises shipping within 10 business days of filing; two
    # remedies shipped today, one filed 3 days ago (on time), one filed 30 days ago (late)
    user = staff_user()
    _shipped(_filed(ClaimFactory(product=speaker, status=S.REPLACEMENT_SHIPPED), 3), user, "1")
    _shipped(_filed(ClaimFactory(product=speaker, status=S.REPLACEMENT_SHIPPED), 30), user, "2")
    # and: one claim filed 30 days ago still not verified
    late = _filed(ClaimFactory(product=speaker), 30)
    # when: six queries, whatever the number of claims (figures.py, dashboard.py)
    with django_assert_num_queries(6):
        dashboard = recall_dashboard(recall=recall)
    # then
    today = timezone.now().astimezone(datetime.UTC).date()
    [week] = dashboard.on_time
    assert week.monday == today - datetime.timedelta(days=today.weekday())
    assert week.rate == Rate(1, 2)
    assert dashboard.overdue == 1
    page = as_user(manager).get(f"/workspace/reports/{recall.slug}/").content.decode()
    assert 'id="on-time"' in page and "50.00%" in page
    assert f"?recall={recall.pk}&amp;promise=overdue" in page
    queue = client.get(f"/workspace/?recall={recall.pk}&promise=overdue").content.decode()
    assert late.reference in queue


def test_no_on_time_figure_without_a_promised_shipping_date(recall, speaker):
    recall.promised_business_days = {"verified": 5}
    recall.save()
    _shipped(ClaimFactory(product=speaker, status=S.REPLACEMENT_SHIPPED), staff_user(), "3")
    assert recall_dashboard(recall=recall).on_time == ()
