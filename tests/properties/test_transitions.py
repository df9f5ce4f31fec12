"""The claim's life as a state machine: any sequence of actions on a real claim keeps the table.

Hypothesis drives one claim through allowed steps and refused attempts (a step the table does not
open, the wrong person, a stale version, a missing reason) and checks after each action what the
claim, its events and its outbox say. Run for both orders of shipping and disposal.
"""

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from recallcases.claims.lifecycle import BY_CONSUMER, STEPS, SUBMISSION, step_between
from recallcases.claims.models import Claim, ClaimStatus
from recallcases.claims.transitions import CONSUMER, Actor, TransitionRefused, claim_transition
from recallcases.notifications.models import OutboundEmail
from tests.factories import ClaimFactory, ProductFactory, staff_user
from tests.properties.strategies import rolled_back

pytestmark = pytest.mark.django_db

# Runs of the machine, each of up to 15 actions on a fresh claim: about 5 seconds per order.
STATEFUL_EXAMPLES = 12
PERMISSIONS = sorted({step.by for step in STEPS if step.by != BY_CONSUMER})


def reachable(*, disposal_first: bool) -> set[str]:
    """The statuses the table lets a claim reach from submission, in one order of the recall."""
    seen, frontier = {SUBMISSION.to_status}, [SUBMISSION.to_status]
    while frontier:
        status = frontier.pop()
        for step in STEPS:
            if (
                step.from_status == status
                and step.open_in(disposal_first=disposal_first)
                and step.to_status not in seen
            ):
                seen.add(step.to_status)
                frontier.append(step.to_status)
    return seen


def open_steps(status: str, *, disposal_first: bool):
    return [
        step
        for step in STEPS
        if step.from_status == status and step.open_in(disposal_first=disposal_first)
    ]


def claim_life(*, disposal_first: bool, staff: dict):
    """A state machine over one claim of a recall of the given order."""

    class ClaimLife(RuleBasedStateMachine):
        @initialize()
        def file_a_claim(self):
            product = ProductFactory(recall__disposal_before_shipping=disposal_first)
            self.claim = ClaimFactory(product=product)
            self.steps_taken = 0
            self.emails_sent = 0
            self.reachable = reachable(disposal_first=disposal_first)

        # What a refused action must leave as it was.
        def snapshot(self):
            claim = Claim.objects.get(pk=self.claim.pk)
            return (
                claim.status,
                claim.version,
                claim.events.count(),
                OutboundEmail.objects.filter(claim=claim).count(),
            )

        @property
        def status(self):
            return Claim.objects.values_list("status", flat=True).get(pk=self.claim.pk)

        @property
        def version(self):
            return Claim.objects.values_list("version", flat=True).get(pk=self.claim.pk)

        def actor_for(self, step):
            return CONSUMER if step.by == BY_CONSUMER else Actor.staff(staff[step.by])

        def refused(self, **attempt):
            before = self.snapshot()
            with pytest.raises(TransitionRefused):
                claim_transition(claim_id=self.claim.pk, **attempt)
            assert self.snapshot() == before

        def has_open_steps(self):
            return bool(open_steps(self.status, disposal_first=disposal_first))

        @precondition(has_open_steps)
        @rule(data=st.data())
        def take_an_allowed_step(self, data):
            # given
            step = data.draw(
                st.sampled_from(open_steps(self.status, disposal_first=disposal_first))
            )
            note = data.draw(st.sampled_from(["Reason given.", "  A reason, padded.  "]))
            if not step.note_required:
                note = data.draw(st.sampled_from(["", note]))
            version = self.version
            with_version = data.draw(st.booleans(), label="with expected_version")
            emails = OutboundEmail.objects.filter(claim_id=self.claim.pk).count()
            # when
            claim = claim_transition(
                claim_id=self.claim.pk,
                to_status=step.to_status,
                actor=self.actor_for(step),
                note=note,
                expected_version=version if with_version else None,
            )
            # then: one more version, one event saying who and why, an email if the step sends one
            self.steps_taken += 1
            assert claim.status == step.to_status
            assert self.version == version + 1
            event = claim.events.order_by("pk").last()
            assert (event.from_status, event.to_status) == (step.from_status, step.to_status)
            assert event.note == note.strip()
            sent = OutboundEmail.objects.filter(claim_id=self.claim.pk).count() - emails
            assert sent == (1 if step.email_kind else 0)
            self.emails_sent += sent

        @rule(data=st.data())
        def attempt_a_refused_action(self, data):
            attempts = [self.ask_for_a_step_the_table_does_not_open]
            if self.has_open_steps():
                attempts += [self.ask_as_the_wrong_person, self.ask_with_a_stale_version]
            if self.needing_a_reason():
                attempts.append(self.take_a_step_that_needs_a_reason_without_one)
            attempt = data.draw(st.sampled_from(attempts), label="refused action")
            attempt(data)

        def needing_a_reason(self):
            return [
                s for s in open_steps(self.status, disposal_first=disposal_first) if s.note_required
            ]

        def ask_for_a_step_the_table_does_not_open(self, data):
            opened = {s.to_status for s in open_steps(self.status, disposal_first=disposal_first)}
            closed = [status for status in ClaimStatus.values if status not in opened]
            to_status = data.draw(st.sampled_from(closed))
            # refused to the consumer and to a staff member with every right alike
            actor = data.draw(st.sampled_from([CONSUMER, Actor.staff(staff["all"])]))
            self.refused(to_status=to_status, actor=actor, note="Reason given.")

        def ask_as_the_wrong_person(self, data):
            step = data.draw(
                st.sampled_from(open_steps(self.status, disposal_first=disposal_first))
            )
            wrong = [Actor.staff(staff[p]) for p in PERMISSIONS if p != step.by]
            wrong += [Actor.staff(staff["none"]), Actor(kind="staff", user=None)]
            if step.by != BY_CONSUMER:
                wrong.append(CONSUMER)
            else:
                # the consumer's own steps: not even a staff member with every right
                wrong.append(Actor.staff(staff["all"]))
            actor = data.draw(st.sampled_from(wrong))
            self.refused(to_status=step.to_status, actor=actor, note="Reason given.")

        def ask_with_a_stale_version(self, data):
            step = data.draw(
                st.sampled_from(open_steps(self.status, disposal_first=disposal_first))
            )
            off_by = data.draw(st.sampled_from([-1, 1, 2, -5]), label="version off by")
            self.refused(
                to_status=step.to_status,
                actor=self.actor_for(step),
                note="Reason given.",
                expected_version=self.version + off_by,
            )

        def take_a_step_that_needs_a_reason_without_one(self, data):
            step = data.draw(st.sampled_from(self.needing_a_reason()))
            note = data.draw(st.sampled_from(["", " ", "\n\t ", "\u3000"]), label="blank note")
            self.refused(to_status=step.to_status, actor=self.actor_for(step), note=note)

        @invariant()
        def keeps_to_the_table(self):
            if not hasattr(self, "claim"):
                return
            claim = Claim.objects.get(pk=self.claim.pk)
            assert claim.status in self.reachable
            assert claim.version == 1 + self.steps_taken
            assert claim.events.count() == 1 + self.steps_taken
            assert OutboundEmail.objects.filter(claim=claim).count() == self.emails_sent
            # each event follows the one before it, by a step of the table open to this recall
            events = list(claim.events.order_by("pk").values_list("from_status", "to_status"))
            assert events[0] == ("", SUBMISSION.to_status)
            for (_, before), (after_from, after_to) in itertools.pairwise(events):
                assert after_from == before
                step = step_between(after_from, after_to)
                assert step is not None and step.open_in(disposal_first=disposal_first)

    return ClaimLife


@pytest.fixture
def staff(roles):
    """One staff member per permission of the table, one with all of them, one with none."""
    people = {permission: staff_user(permission) for permission in PERMISSIONS}
    people["all"] = staff_user(*PERMISSIONS)
    people["none"] = staff_user()
    return people


@pytest.mark.parametrize("disposal_first", [False, True], ids=["shipping-first", "disposal-first"])
def test_claim_life_keeps_to_the_table(staff, disposal_first):
    machine = claim_life(disposal_first=disposal_first, staff=staff)

    class Isolated(machine):
        # each run of the machine in its own savepoint: its claim and events are gone after it
        def __init__(self):
            self._savepoint = rolled_back()
            self._savepoint.__enter__()
            super().__init__()

        def teardown(self):
            self._savepoint.__exit__(None, None, None)

    run_state_machine_as_test(
        Isolated, settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=15)
    )


@pytest.mark.parametrize("disposal_first", [False, True], ids=["shipping-first", "disposal-first"])
def test_every_status_of_the_order_is_reachable(disposal_first):
    # the machine above checks no status outside this set is reached; this shows the set is the
    # order's own: the steps of the other order lead nowhere new
    statuses = reachable(disposal_first=disposal_first)
    targets = {step.to_status for step in STEPS if step.open_in(disposal_first=disposal_first)}
    assert statuses == targets | {SUBMISSION.to_status}
    assert ClaimStatus.CLOSED in statuses
