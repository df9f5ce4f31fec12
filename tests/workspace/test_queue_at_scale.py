"""The staff queue as claims grow: the same queries for a hundred claims and for thousands, its
counts read from the claim tallies the database keeps (bench/staff_queue.py times it at 69,000 and
1.1 million claims)."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from recallcases.claims.models import Claim, ClaimStatus
from tests.factories import ClaimFactory

S = ClaimStatus
STATUSES = [S.SUBMITTED, S.VERIFIED, S.REPLACEMENT_SHIPPED, S.CLOSED, S.REJECTED]


def add_claims(speaker, count: int) -> None:
    start = Claim.objects.count()
    Claim.objects.bulk_create(
        ClaimFactory.build(
            product=speaker,
            reference=f"S{n:08d}",
            access_token_hash=f"{n:064d}",
            disposal_code=f"E{n:08d}",
            serial=f"A3102BLK{n:08d}",
            email=f"scale{n}@example.com",
            status=STATUSES[n % len(STATUSES)],
        )
        for n in range(start, start + count)
    )


QUEUE_PAGES = {
    "first page": "/workspace/",
    "one status": "/workspace/?status=verified",
    "search by serial": "/workspace/?q=A3102BLK00000007",
    "search by name": "/workspace/?q=Consumer",
}


@pytest.mark.django_db
def test_queue_pages_run_the_same_queries_for_100_and_5000_claims(
    client, speaker, manager, as_user
):
    as_user(manager)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    # given: a hundred claims in five statuses
    add_claims(speaker, 100)
    queries("/workspace/")  # the first page after sign-in also reads the session and policy
    few = {name: queries(url) for name, url in QUEUE_PAGES.items()}
    # when: five thousand
    add_claims(speaker, 4_900)
    # then: each page asks the database as often, and never counts the claims twice
    assert {name: queries(url) for name, url in QUEUE_PAGES.items()} == few
    assert max(few.values()) <= 10


@pytest.mark.django_db
def test_queue_counts_come_from_the_tallies_and_match_the_claims(client, speaker, manager, as_user):
    # given: claims in five statuses, one of them moved on, one in Canada only
    add_claims(speaker, 60)
    Claim.objects.filter(reference="S00000001").update(status=S.CLOSED)
    Claim.objects.filter(reference="S00000002").update(country="US")
    as_user(manager)
    # when: the queue, unfiltered and of one country (both read the tallies)
    everything = client.get("/workspace/")
    canada = client.get("/workspace/?country=CA&status=verified")
    # then: the counts are those of the claims, and the pager's too
    expected = {
        row["status"]: row["n"]
        for row in Claim.objects.values("status").annotate(n=Count("pk")).order_by()
    }
    assert {v: n for v, _label, n in everything.context["counts"] if n} == expected
    assert everything.context["page"].paginator.count == 60
    in_canada = Claim.objects.filter(country="CA", status=S.VERIFIED).count()
    assert canada.context["page"].paginator.count == in_canada == 11


@pytest.mark.django_db
def test_search_counts_stay_exact(client, speaker, manager, as_user):
    # given: a queue and one claim searched by its serial
    add_claims(speaker, 30)
    as_user(manager)
    # when
    response = client.get("/workspace/?q=a3102-blk0-0000-007")
    # then: one claim found, counted exactly
    page = response.context["page"]
    assert [claim.serial for claim in page] == ["A3102BLK00000007"]
    assert page.paginator.count == 1


@pytest.mark.django_db
def test_filter_selects_kept_between_pages_show_each_page_its_own_choice(
    client, speaker, manager, as_user
):
    # given: a queue filtered by one status, then unfiltered, then in French
    add_claims(speaker, 5)
    as_user(manager)
    filtered = client.get("/workspace/?status=verified&country=CA").content.decode()
    unfiltered = client.get("/workspace/").content.decode()
    again = client.get("/workspace/?status=verified&country=CA").content.decode()
    french = client.get(
        "/workspace/?status=verified", HTTP_ACCEPT_LANGUAGE="fr-ca"
    ).content.decode()
    # then: each page's selects show its own values (the kept HTML is per value and language)
    assert '<option value="verified" selected>' in filtered
    assert '<option value="CA" selected>' in filtered
    assert '<option value="verified" selected>' not in unfiltered
    assert '<option value="CA" selected>' not in unfiltered
    assert '<option value="verified" selected>' in again
    assert '<option value="verified" selected>Vérifiée</option>' in french
