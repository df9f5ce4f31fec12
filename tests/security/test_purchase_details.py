"""The order number and the purchase date are personal data, shown as the contact details are:
only to roles that ship (ADR 0004)."""

import datetime

import pytest
from django.test import Client

from recallcases.workspace.roles import FULFILMENT, RECALL_MANAGER, REVIEWER
from tests.conftest import member_of
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

ORDER = "112-7654321-7654321"


@pytest.mark.parametrize(
    ("role", "sees"), [(REVIEWER, False), (FULFILMENT, True), (RECALL_MANAGER, True)]
)
def test_claim_page_purchase_details_refused_without_contact_rights(speaker, role, sees):
    claim = ClaimFactory(
        product=speaker, order_number=ORDER, purchase_date=datetime.date(2023, 6, 14)
    )
    client = Client()
    client.force_login(member_of(role))
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert (ORDER in page) is sees
    assert ('id="purchase-date"' in page) is sees
