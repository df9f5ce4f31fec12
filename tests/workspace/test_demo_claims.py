"""`manage.py demo_claims`: a demo recall worth looking at (claims over months and statuses)."""

import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from recallcases.claims.models import Claim, ClaimEvent, ClaimStatus
from recallcases.claims.services.milestones import claim_milestones_rebuild
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.recalls.models import RegistryEntry
from recallcases.reports.selectors.dashboard import recall_dashboard
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

S = ClaimStatus


def run(count: int) -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_claims", count=count, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_staff():
    call_command(
        "seed_demo", base_url="http://testserver", allow_demo_accounts=True, stdout=io.StringIO()
    )


def test_demo_claims_spread_over_months_and_statuses_along_the_lifecycle(demo_staff):
    # when: 120 demo claims, then the same again (make demo-data run twice)
    run(120)
    output = run(120)
    # then: nothing doubled; made-up consumers at example.com
    demo = Claim.objects.filter(serial__contains="DMX5")
    assert demo.count() == 120 and "0 demo claims filed, 120 already there" in output
    assert all(email.endswith("@example.com") for email in demo.values_list("email", flat=True))
    assert all(name.endswith(" Example") for name in demo.values_list("name", flat=True))
    # spread over several months and most statuses
    months = {claim.created_at.strftime("%Y-%m") for claim in demo}
    assert len(months) >= 6
    assert len(set(demo.values_list("status", flat=True))) >= 7
    # each claim's events lead, step by step, from "submitted" to its status, in time order
    for claim in demo:
        events = list(ClaimEvent.objects.filter(claim=claim).order_by("created_at", "pk"))
        assert events[0].to_status == S.SUBMITTED and events[-1].to_status == claim.status
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(events))
        assert events[0].created_at == claim.created_at
    # the dashboard has something to show, and its dates agree with the events
    dashboard = recall_dashboard(recall=demo.first().recall)
    assert dashboard.remedied > 10 and dashboard.disposals_confirmed > 5
    assert claim_milestones_rebuild() == 0
    # every email was delivered to a backend that sends nothing: none waits for a worker
    assert not OutboundEmail.objects.filter(claim__in=demo, state=EmailState.PENDING).exists()


def test_demo_claims_refuses_a_database_with_a_real_registry(demo_staff):
    # given: a real recall's registry (not demo data)
    product = ProductFactory()
    RegistryEntry.objects.create(
        recall=product.recall,
        product=product,
        prefix="REAL",
        digits=8,
        first_number=1,
        last_number=10,
        is_demo=False,
    )
    # when / then
    with pytest.raises(CommandError, match="real serial registry"):
        run(10)
    assert not Claim.objects.filter(serial__contains="DMX5").exists()


def test_demo_claims_refuses_to_run_without_debug(demo_staff):
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_claims", count=10, stdout=io.StringIO())
