"""The lifecycle table: every status and every step says all it must, and the queries it derives."""

import pytest

from recallcases.claims.lifecycle import (
    BY_CONSUMER,
    RELEASED_STATUSES,
    SHIP,
    STATUSES,
    STEPS,
    SUBMISSION,
    Order,
    Status,
    Step,
    Waits,
    progress,
    reminders,
    step_between,
    waiting_for,
)
from recallcases.claims.models import Claim, ClaimStatus
from recallcases.claims.models import ClaimStatus as S
from tests.factories import ClaimFactory, ProductFactory

STEP_IDS = [f"{step.from_status}->{step.to_status}" for step in STEPS]
PERMISSIONS = {f"claims.{codename}" for codename, _name in Claim._meta.permissions}
ORDERS = [False, True]  # disposal before shipping: no (the default), yes


def test_every_status_has_an_entry_in_the_order_of_the_choices():
    assert list(STATUSES) == ClaimStatus.values
    assert all(entry.status == status for status, entry in STATUSES.items())


@pytest.mark.parametrize("entry", STATUSES.values(), ids=list(STATUSES))
def test_every_status_says_what_it_means(entry: Status):
    assert str(entry.label).strip()
    for disposal_first in ORDERS:
        assert str(entry.next_for(disposal_first=disposal_first)).strip()
        assert entry.waits_for(disposal_first=disposal_first) in Waits
    if entry.reminder is not None:
        # a reminder nags the consumer, so the status waits for them in at least one order
        assert Waits.CONSUMER in {entry.waits_for(disposal_first=o) for o in ORDERS}
        assert entry.reminder.kind and entry.reminder.days_field


@pytest.mark.parametrize("step", STEPS, ids=STEP_IDS)
def test_every_step_says_who_what_and_how(step: Step):
    assert step.from_status in STATUSES and step.to_status in STATUSES
    assert step.by == BY_CONSUMER or step.by in PERMISSIONS
    assert step.order in Order
    # an email kind, or None said explicitly: Step has no default for it
    assert step.email_kind is None or (isinstance(step.email_kind, str) and step.email_kind)
    if step.by_consumer:
        assert step.button is None and not step.ships and not step.note_required
    elif step.ships:
        assert step.by == SHIP and step.button is None
    else:
        assert step.button is not None, "a staff step needs its button"
        assert str(step.button.label).strip()
        assert len(step.button.key) == 1
        assert step.button.style in {"success", "warning", "danger", "secondary"}


def test_every_step_is_declared_once():
    pairs = [(step.from_status, step.to_status) for step in STEPS]
    assert len(pairs) == len(set(pairs))
    assert all(step_between(*pair) is step for pair, step in zip(pairs, STEPS, strict=True))
    assert step_between("", S.SUBMITTED) is SUBMISSION
    assert step_between(S.CLOSED, S.SUBMITTED) is None


@pytest.mark.parametrize("disposal_first", ORDERS)
@pytest.mark.parametrize("status", ClaimStatus.values)
def test_shortcuts_unique_on_each_claim_page(status, disposal_first):
    keys = [
        step.button.key
        for step in STEPS
        if step.from_status == status
        and step.button is not None
        and step.open_in(disposal_first=disposal_first)
    ]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("disposal_first", ORDERS)
def test_every_status_is_reached_and_only_an_end_has_no_way_on(disposal_first):
    steps = [step for step in STEPS if step.open_in(disposal_first=disposal_first)]
    reached = {step.to_status for step in steps} | {SUBMISSION.to_status}
    assert reached == set(STATUSES)
    dead_ends = set(STATUSES) - {step.from_status for step in steps}
    for status in dead_ends:
        assert STATUSES[status].waits_for(disposal_first=disposal_first) == Waits.NOTHING


def test_progress_lists_in_the_recalls_order():
    assert [status for status, _label in progress(disposal_first=False)] == [
        S.SUBMITTED,
        S.VERIFIED,
        S.REPLACEMENT_APPROVED,
        S.REPLACEMENT_SHIPPED,
        S.DISPOSAL_CONFIRMED,
        S.CLOSED,
    ]
    assert [status for status, _label in progress(disposal_first=True)] == [
        S.SUBMITTED,
        S.VERIFIED,
        S.REPLACEMENT_APPROVED,
        S.DISPOSAL_CONFIRMED,
        S.REPLACEMENT_SHIPPED,
        S.CLOSED,
    ]


def test_released_statuses_are_the_rejected_and_withdrawn():
    assert RELEASED_STATUSES == (S.REJECTED, S.WITHDRAWN)


def _one_claim_per_status_and_order():
    claims = {}
    for disposal_first in ORDERS:
        product = ProductFactory(recall__disposal_before_shipping=disposal_first)
        for status in ClaimStatus.values:
            claims[status, disposal_first] = ClaimFactory(product=product, status=status).pk
    return claims


def _found(claims, condition):
    found = set(Claim.objects.filter(condition).values_list("pk", flat=True))
    return {key for key, pk in claims.items() if pk in found}


@pytest.mark.django_db
def test_waiting_queries_select_each_status_in_its_recalls_order():
    claims = _one_claim_per_status_and_order()
    both = {(s, o) for s in ClaimStatus.values for o in ORDERS}
    assert _found(claims, waiting_for(Waits.REVIEW)) == {
        (s, o) for s, o in both if s in (S.SUBMITTED, S.RESUBMITTED, S.DISPOSAL_SUBMITTED)
    }
    assert _found(claims, waiting_for(Waits.FULFILMENT)) == {
        (S.REPLACEMENT_APPROVED, False),
        (S.DISPOSAL_CONFIRMED, True),
    }
    assert _found(claims, waiting_for(Waits.CONSUMER)) == {
        (S.INFORMATION_REQUESTED, False),
        (S.INFORMATION_REQUESTED, True),
        (S.REPLACEMENT_SHIPPED, False),
        (S.REPLACEMENT_APPROVED, True),
    }
    waiting = {kind: _found(claims, q) for kind, (q, _days) in reminders().items()}
    assert waiting == {
        "information_reminder": {
            (S.INFORMATION_REQUESTED, False),
            (S.INFORMATION_REQUESTED, True),
        },
        "disposal_reminder": {(S.REPLACEMENT_SHIPPED, False), (S.REPLACEMENT_APPROVED, True)},
    }
