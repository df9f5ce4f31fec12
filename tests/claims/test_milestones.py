"""What the database keeps for the reports and the queue (claims migration 0013): each claim's first
"replacement shipped" event, first shipment and first "disposal confirmed" event, and the claim
tallies by group and by day."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from recallcases.claims.models import Claim, ClaimEvent, ClaimStatus, DayMetric, Shipment
from recallcases.claims.selectors import claim_day_tallies, claim_tallies
from recallcases.claims.services import claim_ship
from recallcases.claims.services.milestones import (
    claim_milestones_rebuild,
    claim_tallies_compact,
    claim_tallies_rebuild,
)
from recallcases.claims.transitions import CONSUMER, Actor, claim_transition
from tests.factories import ClaimFactory, ProductFactory

S = ClaimStatus


def first(claim_id: int, to_status: str):
    return (
        ClaimEvent.objects.filter(claim_id=claim_id, to_status=to_status)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


@pytest.fixture
def manager_actor(db):
    from django.contrib.auth import get_user_model

    return Actor.staff(get_user_model().objects.create_superuser("boss", password="x" * 20))


def ship(claim, actor, tracking):
    claim_ship(claim_id=claim.pk, actor=actor, carrier="UPS", tracking_number=tracking)


@pytest.mark.django_db
def test_the_claims_life_keeps_its_report_dates(manager_actor):
    # given: a claim shipped, its disposal refused, shipped again, then confirmed
    claim = ClaimFactory()
    for status in (S.VERIFIED, S.REPLACEMENT_APPROVED):
        claim_transition(claim_id=claim.pk, to_status=status, actor=manager_actor, note="n")
    ship(claim, manager_actor, "1ZFIRST")
    claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_SUBMITTED, actor=CONSUMER)
    claim_transition(
        claim_id=claim.pk, to_status=S.REPLACEMENT_SHIPPED, actor=manager_actor, note="n"
    )
    claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_SUBMITTED, actor=CONSUMER)
    claim_transition(
        claim_id=claim.pk, to_status=S.DISPOSAL_CONFIRMED, actor=manager_actor, note="n"
    )
    # then: each date is the first of its rows, and a rebuild finds nothing to correct
    claim.refresh_from_db()
    assert claim.first_shipped_at == first(claim.pk, S.REPLACEMENT_SHIPPED)
    assert claim.first_shipment_at == Shipment.objects.get(claim=claim).created_at
    assert claim.disposal_confirmed_at == first(claim.pk, S.DISPOSAL_CONFIRMED)
    assert claim_milestones_rebuild() == 0


@pytest.mark.django_db
def test_a_shipment_recorded_without_its_step_dates_the_remedy(admin_user):
    # given: a shipment written straight into the table (an import, the admin)
    claim = ClaimFactory()
    shipment = Shipment.objects.create(
        claim=claim, carrier="UPS", tracking_number="1ZLEGACY", recorded_by=admin_user
    )
    claim.refresh_from_db()
    # then: the claim is remedied from the shipment; no "shipped" event, no disposal
    assert claim.first_shipment_at == shipment.created_at
    assert claim.first_shipped_at is None and claim.disposal_confirmed_at is None
    # when the shipment is removed, so is its date
    Shipment.objects.filter(pk=shipment.pk).delete()
    claim.refresh_from_db()
    assert claim.first_shipment_at is None


@pytest.mark.django_db
def test_django_cannot_overwrite_the_dates(manager_actor):
    # given: a shipped claim, and a copy of it read before it shipped
    claim = ClaimFactory(status=S.REPLACEMENT_APPROVED)
    stale = Claim.objects.get(pk=claim.pk)
    ship(claim, manager_actor, "1ZSTALE")
    # when: the stale copy is saved whole, and the dates are updated in bulk
    stale.save()
    Claim.objects.filter(pk=claim.pk).update(first_shipped_at=None, disposal_confirmed_at=None)
    # then: the dates stand
    claim.refresh_from_db()
    assert claim.first_shipped_at == first(claim.pk, S.REPLACEMENT_SHIPPED)
    assert claim_milestones_rebuild() == 0


@pytest.mark.django_db
def test_rebuild_restores_what_the_events_say(manager_actor):
    # given: claims in every status of a life, then their dates wiped by the one allowed writer
    product = ProductFactory()
    claims = [ClaimFactory(product=product, status=S.REPLACEMENT_APPROVED) for _ in range(3)]
    for n, claim in enumerate(claims):
        ship(claim, manager_actor, f"1ZREBUILD{n}")
    expected = {c.pk: Claim.objects.get(pk=c.pk).first_shipped_at for c in claims}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL recallcases.milestones_rebuild = 'on'")
        cursor.execute("UPDATE claims_claim SET first_shipped_at = NULL, first_shipment_at = NULL")
    # when
    call_command("claim_figures_rebuild", stdout=io.StringIO())
    # then: the dates are back, equal to those recomputed from the events
    for claim in claims:
        assert Claim.objects.get(pk=claim.pk).first_shipped_at == expected[claim.pk]
    assert claim_milestones_rebuild() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_keep_the_earliest_date():
    # given: one claim, and two writers adding "shipped" events to it at once, the later first
    claim = ClaimFactory(status=S.REPLACEMENT_APPROVED)
    now = timezone.now()
    barrier = threading.Barrier(2)
    errors = []

    def write(when):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                barrier.wait(timeout=10)
                cursor.execute(
                    "INSERT INTO claims_claimevent (claim_id, actor_kind, from_status, to_status, "
                    "note, created_at) VALUES (%s, 'staff', '', 'replacement_shipped', '', %s)",
                    [claim.pk, when],
                )
                cursor.execute("SELECT pg_sleep(0.2)")  # both transactions open at once
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(now + timedelta(hours=h),)) for h in (2, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    # then: whichever committed first, the claim holds the earlier event's date
    assert errors == []
    claim.refresh_from_db()
    assert claim.first_shipped_at == now + timedelta(hours=1)
    assert claim_milestones_rebuild() == 0


# --- The claim tallies ----------------------------------------------------------------------------


def tallied() -> set[tuple]:
    """The tallies' groups as they read now."""
    return {
        (row["recall_id"], row["product_id"], row["country"], row["status"], row["remedy"],
         row["remedied"], row["disposal_confirmed"], row["claims"])
        for row in claim_tallies()
    } | {
        (recall_id, row["country"], row["channel"], row["remedy"], row["day"], row["metric"],
         row["claims"])
        for recall_id in Claim.objects.values_list("recall_id", flat=True).distinct()
        for row in claim_day_tallies(recall_id=recall_id, metrics=list(DayMetric))
    }  # fmt: skip


@pytest.mark.django_db
def test_tallies_equal_the_figures_counted_again_from_the_claims(manager_actor, admin_user):
    # given: a history of every kind of change: filed, moved along, shipped, disposal confirmed,
    # a shipment written straight into its table, a claim's country corrected, a shipped claim's
    # remedy changed and a claim's channel corrected
    product = ProductFactory()
    claims = [ClaimFactory(product=product, country="CA" if n % 2 else "US") for n in range(6)]
    for n, claim in enumerate(claims[:4]):
        for status in (S.VERIFIED, S.REPLACEMENT_APPROVED):
            claim_transition(claim_id=claim.pk, to_status=status, actor=manager_actor, note="n")
        ship(claim, manager_actor, f"1ZTALLY{n}")
    for claim in claims[:2]:
        claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_SUBMITTED, actor=CONSUMER)
        claim_transition(
            claim_id=claim.pk, to_status=S.DISPOSAL_CONFIRMED, actor=manager_actor, note="n"
        )
    Shipment.objects.create(
        claim=claims[4], carrier="UPS", tracking_number="1ZTALLYLEGACY", recorded_by=admin_user
    )
    Claim.objects.filter(pk=claims[5].pk).update(country="CA")
    Claim.objects.filter(pk=claims[3].pk).update(remedy="refund")
    Claim.objects.filter(pk=claims[5].pk).update(channel="phone")
    before = tallied()
    # when: the tallies are merged (beat), then counted again from the claims
    claim_tallies_compact()
    merged = tallied()
    # then: merging changed no figure, and nothing differs from the claims themselves
    assert merged == before
    assert claim_tallies_rebuild() == 0
    assert tallied() == before
    by_status = {}
    for row in claim_tallies(recall_id=product.recall_id):
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["claims"]
    assert by_status == {S.DISPOSAL_CONFIRMED: 2, S.REPLACEMENT_SHIPPED: 2, S.SUBMITTED: 2}
    remedied = sum(r["claims"] for r in claim_tallies(recall_id=product.recall_id) if r["remedied"])
    assert remedied == 5  # four shipped, one lone shipment
    refunded = [r for r in claim_tallies(recall_id=product.recall_id) if r["remedy"] == "refund"]
    assert [(r["status"], r["remedied"], r["claims"]) for r in refunded] == [
        (S.REPLACEMENT_SHIPPED, True, 1)
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_keep_the_tallies_true_and_wait_on_no_counter():
    # given: twenty claims in one group, and four writers moving five each at once
    product = ProductFactory()
    claims = [ClaimFactory(product=product, status=S.VERIFIED) for _ in range(20)]
    from django.contrib.auth import get_user_model

    actor = Actor.staff(get_user_model().objects.create_superuser("tally", password="x" * 20))
    barrier = threading.Barrier(4)
    errors = []

    def move(batch):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():  # one transaction each, as a bulk approval is
                for claim in batch:
                    claim_transition(
                        claim_id=claim.pk, to_status=S.REPLACEMENT_APPROVED, actor=actor
                    )
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(claims[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then: no writer failed (no deadlock on a shared counter), and the tallies are the claims'
    assert errors == []
    rows = claim_tallies(recall_id=product.recall_id)
    assert {(r["status"], r["claims"]) for r in rows} == {(S.REPLACEMENT_APPROVED, 20)}
    assert claim_tallies_rebuild() == 0
