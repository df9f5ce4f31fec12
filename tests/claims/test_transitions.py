"""The claim's life: every allowed and every forbidden transition, and every refusal."""

import itertools

import pytest

from recallcases.claims.models import ClaimEvent, ClaimStatus
from recallcases.claims.transitions import (
    BY_CONSUMER,
    CONSUMER,
    DISPOSAL_FIRST,
    NOTE_REQUIRED,
    SHIPPING_FIRST,
    SYSTEM,
    TRANSITIONS,
    Actor,
    TransitionRefused,
    allowed_next_statuses,
    claim_transition,
)
from tests.factories import ClaimFactory, ProductFactory, staff_user

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(ClaimStatus.values, ClaimStatus.values))
# Each pair with the recall's order: disposal proof before shipping (True) or after (False).
ALLOWED = [(a, b, (a, b) in DISPOSAL_FIRST) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b, False) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]] + [
    # a step of one order is refused on a recall of the other
    *((a, b, False) for a, b in sorted(DISPOSAL_FIRST)),
    *((a, b, True) for a, b in sorted(SHIPPING_FIRST)),
]


def claim_in(status, disposal_first=False):
    product = ProductFactory(recall__disposal_before_shipping=disposal_first)
    return ClaimFactory(status=status, product=product)


def test_table_names_every_status():
    assert set(TRANSITIONS) == set(ClaimStatus.values)
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(ClaimStatus.values)


def _actor_for(permission: str) -> Actor:
    if permission == BY_CONSUMER:
        return CONSUMER
    return Actor.staff(staff_user(permission))


@pytest.mark.parametrize(("from_status", "to_status", "disposal_first"), ALLOWED)
def test_transition_allowed_moves_claim_and_records_event(from_status, to_status, disposal_first):
    # given
    claim = claim_in(from_status, disposal_first)
    actor = _actor_for(TRANSITIONS[from_status][to_status])
    # when
    claim_transition(claim_id=claim.pk, to_status=to_status, actor=actor, note="Reason given.")
    # then
    claim.refresh_from_db()
    assert claim.status == to_status
    assert claim.version == 2
    event = claim.events.last()
    assert (event.from_status, event.to_status, event.actor) == (from_status, to_status, actor.user)
    assert event.note == "Reason given."


@pytest.mark.parametrize(("from_status", "to_status", "disposal_first"), FORBIDDEN)
def test_transition_forbidden_changes_nothing(from_status, to_status, disposal_first):
    claim = claim_in(from_status, disposal_first)
    with pytest.raises(TransitionRefused):
        claim_transition(claim_id=claim.pk, to_status=to_status, actor=SYSTEM, note="x")
    claim.refresh_from_db()
    assert claim.status == from_status
    assert claim.version == 1
    assert claim.events.count() == 1


@pytest.mark.parametrize(("from_status", "to_status", "disposal_first"), ALLOWED)
def test_transition_without_the_right_refused(from_status, to_status, disposal_first):
    # given: staff with no permission at all, or the consumer for a staff step
    claim = claim_in(from_status, disposal_first)
    needed = TRANSITIONS[from_status][to_status]
    wrong = Actor.staff(staff_user()) if needed == BY_CONSUMER else CONSUMER
    # when / then
    with pytest.raises(TransitionRefused, match="not allowed"):
        claim_transition(claim_id=claim.pk, to_status=to_status, actor=wrong, note="x")
    claim.refresh_from_db()
    assert claim.status == from_status


def test_transition_staff_with_another_permission_refused():
    claim = ClaimFactory(status=ClaimStatus.SUBMITTED)
    shipper = Actor.staff(staff_user("claims.record_shipment"))
    with pytest.raises(TransitionRefused):
        claim_transition(claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=shipper)


def test_transition_on_stale_version_refused():
    # given: two reviewers opened the claim at version 1; the first one verified it
    claim = ClaimFactory(status=ClaimStatus.SUBMITTED)
    reviewer = Actor.staff(staff_user("claims.verify_claim"))
    claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=reviewer, expected_version=1
    )
    # when: the second one rejects what they saw
    with pytest.raises(TransitionRefused, match="changed by someone else"):
        claim_transition(
            claim_id=claim.pk,
            to_status=ClaimStatus.REJECTED,
            actor=reviewer,
            note="Blurry",
            expected_version=1,
        )
    # then
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED


@pytest.mark.parametrize(("from_status", "to_status"), sorted(NOTE_REQUIRED))
def test_transition_that_the_consumer_reads_needs_a_note(from_status, to_status):
    claim = claim_in(from_status, (from_status, to_status) in DISPOSAL_FIRST)
    with pytest.raises(TransitionRefused, match="reason"):
        claim_transition(claim_id=claim.pk, to_status=to_status, actor=SYSTEM, note="   ")
    claim.refresh_from_db()
    assert claim.status == from_status


def test_allowed_next_statuses_depend_on_the_actor():
    claim = ClaimFactory(status=ClaimStatus.SUBMITTED)
    reviewer = Actor.staff(staff_user("claims.verify_claim"))
    assert allowed_next_statuses(claim=claim, actor=reviewer) == [
        ClaimStatus.INFORMATION_REQUESTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.REJECTED,
    ]
    assert allowed_next_statuses(claim=claim, actor=CONSUMER) == [ClaimStatus.WITHDRAWN]


def test_claim_event_cannot_be_changed_or_deleted():
    claim = ClaimFactory()
    event = claim.events.get()
    event.note = "rewritten"
    with pytest.raises(Exception, match="never changed"):
        event.save()
    with pytest.raises(Exception, match="never deleted"):
        event.delete()
    assert ClaimEvent.objects.get(pk=event.pk).note == ""


def test_claim_event_update_refused_by_postgresql(postgres):
    from django.db import DatabaseError, transaction

    claim = ClaimFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ClaimEvent.objects.filter(claim=claim).update(note="rewritten")


def test_reopen_refused_when_the_serial_has_another_open_claim():
    # given: a rejected claim, and a new claim filed since for the same serial
    rejected = ClaimFactory(status=ClaimStatus.REJECTED, serial="A3102DMX10000042")
    ClaimFactory(product=rejected.product, serial="A3102DMX10000042")
    manager = Actor.staff(staff_user("claims.reopen_claim"))
    # when / then
    with pytest.raises(TransitionRefused, match="Another open claim"):
        claim_transition(claim_id=rejected.pk, to_status=ClaimStatus.SUBMITTED, actor=manager)
    rejected.refresh_from_db()
    assert rejected.status == ClaimStatus.REJECTED
    assert rejected.events.count() == 1
