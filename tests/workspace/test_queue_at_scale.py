"""The staff queue as claims grow: the same queries for a hundred claims and for thousands, and
counts estimated by PostgreSQL when the queue is large and unfiltered (bench/staff_queue.py times
it at 69,000 and 1.1 million claims)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recallcases.claims import selectors
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
def test_large_queue_shows_estimated_counts_and_a_filtered_one_exact_counts(
    client, speaker, manager, as_user, monkeypatch
):
    # given: a queue "large" for this test, its statistics up to date
    add_claims(speaker, 60)
    monkeypatch.setattr(selectors, "QUEUE_EXACT_COUNT_LIMIT", 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    as_user(manager)
    # when: the unfiltered queue, and the queue of one country
    everything = client.get("/workspace/").content.decode()
    filtered = client.get("/workspace/?country=CA").content.decode()
    # then: the first says its counts are estimates (ANALYZE read every row: here they are
    # exact); the filtered one counts exactly and says nothing of estimates
    assert "≈ 60" in everything and 'id="counts-estimated"' in everything
    assert "≈ 12" in everything  # 60 claims over five statuses
    assert "≈" not in filtered and 'id="counts-estimated"' not in filtered
    # and the pages follow the estimate: page 2 holds the last ten
    second = client.get("/workspace/?page=2")
    assert second.status_code == 200 and second.context["page"].number == 2
    assert len(second.context["page"].object_list) == 10


@pytest.mark.django_db
def test_search_and_counts_stay_exact_whatever_the_queue_size(
    client, speaker, manager, as_user, monkeypatch
):
    # given: a large queue (for this test) and one claim searched by its serial
    add_claims(speaker, 30)
    monkeypatch.setattr(selectors, "QUEUE_EXACT_COUNT_LIMIT", 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    as_user(manager)
    # when
    response = client.get("/workspace/?q=a3102-blk0-0000-007")
    # then: one claim found, counted exactly
    page = response.context["page"]
    assert [claim.serial for claim in page] == ["A3102BLK00000007"]
    assert page.paginator.count == 1
    assert not response.context["counts_estimated"]
