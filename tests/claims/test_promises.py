"""Where is my replacement: the dates a recall promises, the carrier's tracking page, and the
claims past a promised date (a queue filter staff can act on)."""

import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from recallcases.claims.lifecycle import ClaimStatus as S
from recallcases.claims.models import ClaimEvent, Shipment
from recallcases.claims.selectors import QueueFilters, claim_queue, claims_overdue
from recallcases.claims.timeline import consumer_timeline
from recallcases.core.business_days import business_days_after, last_start_overdue
from recallcases.recalls.recall_file import RecallFileInvalid, recall_file_check
from tests.factories import ClaimFactory, claim_with_link, staff_user

SPEAKER_FILE = Path(__file__).parents[2] / "recallcases/recalls/data/anker-speakers-2024.json"
MONDAY = datetime.date(2026, 11, 30)


def test_business_days_skip_weekends():
    friday, saturday = MONDAY - datetime.timedelta(days=3), MONDAY - datetime.timedelta(days=2)
    assert business_days_after(friday, 1) == MONDAY
    assert business_days_after(saturday, 5) == datetime.date(2026, 12, 4)  # the Friday after
    assert business_days_after(MONDAY, 10) == datetime.date(2026, 12, 14)


@pytest.mark.parametrize("days", [1, 5, 10])
def test_last_start_overdue_is_the_boundary(days):
    for offset in range(30):
        today = MONDAY + datetime.timedelta(days=offset)
        start = last_start_overdue(today=today, days=days)
        assert business_days_after(start, days) < today
        assert business_days_after(start + datetime.timedelta(days=1), days) >= today


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("carrier", "url"),
    [
        ("UPS", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        ("FedEx", "https://www.fedex.com/fedextrack/?trknbr=1Z999AA10123456784"),
        ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=1Z999AA10123456784"),
        (
            "Canada Post",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/details/1Z999AA10123456784",
        ),
        ("Purolator", "https://www.purolator.com/en/shipping/tracker?pin=1Z999AA10123456784"),
        ("Pony Express", ""),
    ],
)
def test_tracking_links_per_carrier_from_the_recalls_data(recall, carrier, url):
    assert recall.tracking_url(carrier=carrier, tracking_number="1Z999AA10123456784") == url


@pytest.mark.django_db
def test_a_tracking_number_cannot_change_the_address(recall):
    url = recall.tracking_url(carrier="UPS", tracking_number="1Z9&loc=evil/../x y#")
    assert url == "https://www.ups.com/track?tracknum=1Z9%26loc%3Devil%2F..%2Fx%20y%23"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"tracking_urls": {"UPS": "http://ups.example/{tracking}"}}, 'tracking_urls: "UPS"'),
        ({"tracking_urls": {"UPS": "https://www.ups.com/track"}}, "with {tracking} in it"),
        ({"tracking_urls": ["UPS"]}, "tracking_urls: must be an object of addresses"),
        ({"promised_business_days": {"verified": 0}}, '"verified": 0 is not from 1 to 365'),
        ({"promised_business_days": {"verified": "5"}}, "must be an object of whole numbers"),
    ],
)
def test_recall_file_checks_promises_and_tracking_pages(changes, error):
    data = json.loads(SPEAKER_FILE.read_text(encoding="utf-8"))
    data["recall"].update(changes)
    with pytest.raises(RecallFileInvalid) as refused:
        recall_file_check(data)
    assert any(error in line for line in refused.value.lines()), refused.value.lines()


def _filed(claim, days_ago: int):
    """Backdate a claim's filing (created_at is set on insert)."""
    type(claim).objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    claim.refresh_from_db()
    return claim


def _reached(claim, *statuses):
    for status in statuses:
        ClaimEvent.objects.create(claim=claim, actor_kind="system", to_status=status)


@pytest.fixture
def claims(recall, speaker):
    """The speaker recall promises: verified within 5 business days, shipped within 10."""
    made = {
        "new, not verified": _filed(ClaimFactory(product=speaker), 2),
        "old, not verified": _filed(ClaimFactory(product=speaker), 9),
        "verified in time, not shipped after 20 days": _filed(
            ClaimFactory(product=speaker, status=S.REPLACEMENT_APPROVED), 20
        ),
        "waits for the consumer": _filed(
            ClaimFactory(product=speaker, status=S.INFORMATION_REQUESTED), 20
        ),
        "rejected": _filed(ClaimFactory(product=speaker, status=S.REJECTED), 20),
        "shipped": _filed(ClaimFactory(product=speaker, status=S.REPLACEMENT_SHIPPED), 20),
    }
    _reached(made["verified in time, not shipped after 20 days"], S.VERIFIED)
    _reached(made["shipped"], S.VERIFIED, S.REPLACEMENT_APPROVED)
    return made


@pytest.mark.django_db
def test_overdue_claims_found_by_the_filter(claims, django_assert_num_queries):
    # when: the queue is filtered to the claims past a promised date
    with django_assert_num_queries(2):  # the recalls' promises, then the claims
        found = {claim.pk for claim in claim_queue(filters=QueueFilters(overdue=True)).order_by()}
    # then: the claim not verified within 5 business days, the one not shipped within 10
    assert found == {
        claims["old, not verified"].pk,
        claims["verified in time, not shipped after 20 days"].pk,
    }


@pytest.mark.django_db
def test_the_queue_page_filters_overdue_claims(client, claims, manager, as_user):
    page = as_user(manager).get("/workspace/?promise=overdue").content.decode()
    assert claims["old, not verified"].reference in page
    assert claims["new, not verified"].reference not in page
    assert claims["waits for the consumer"].reference not in page


@pytest.mark.django_db
def test_a_recall_without_promises_has_no_overdue_claims(claims, recall):
    recall.promised_business_days = {}
    recall.save()
    assert not claims_overdue(type(claims["rejected"]).objects.all(), now=timezone.now())


@pytest.mark.django_db
def test_timeline_promised_dates_and_lateness(claims):
    claim = claims["old, not verified"]
    filed = claim.created_at.astimezone(datetime.UTC).date()
    steps = {step.label: step for step in consumer_timeline(claim).steps}
    assert steps["Claim verified"].due == business_days_after(filed, 5)
    assert steps["Claim verified"].late
    assert steps["Replacement shipped"].due == business_days_after(filed, 10)
    assert not consumer_timeline(claims["new, not verified"]).late_steps
    assert not consumer_timeline(claims["waits for the consumer"]).late_steps


def _shipped_claim(speaker, language):
    claim, token = claim_with_link(product=speaker, status=S.REPLACEMENT_SHIPPED, language=language)
    Shipment.objects.create(
        claim=claim, carrier="UPS", tracking_number="1Z999AA10123456784", recorded_by=staff_user()
    )
    return claim, token


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "promised", "follow"),
    [
        ("en", "Promised by", "Follow it on UPS's website"),
        ("fr-ca", "Promis d'ici le", "Suivre l'envoi sur le site de UPS"),
        ("es-us", "Prometido para el", "Seguir el envío en el sitio web de UPS"),
    ],
)
def test_status_page_of_a_shipped_claim_shows_the_carrier_link_and_promised_dates(
    client, recall, speaker, language, promised, follow
):
    from html import unescape

    if not recall.offers_language(language):
        # The speaker recall is offered in English and French: a US recall may add Spanish.
        recall.languages = [*recall.languages, language]
        recall.save(update_fields=["languages"])
    _claim, token = _shipped_claim(speaker, language)
    page = unescape(client.get(f"/{language}/status/{token}/").content.decode())
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in page
    assert follow in page
    assert page.count(promised) == 2  # verified and shipped
