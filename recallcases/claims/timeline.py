"""A claim's progress as the consumer sees it, in their language, read from the lifecycle table."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.utils import timezone

from recallcases.claims.lifecycle import (
    ENDED_STATUSES,
    RELEASED_STATUSES,
    STATUSES,
    Waits,
    consumer_sentence,
    progress,
    step_between,
)
from recallcases.claims.models import Claim
from recallcases.core.business_days import business_days_after

# The steps of a claim that goes well, as the consumer would name them, in the order of a recall
# that ships the remedy first (the default) and of one that wants proof of disposal first.
PROGRESS = progress(disposal_first=False)
PROGRESS_DISPOSAL_FIRST = progress(disposal_first=True)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current" or "upcoming"
    at: datetime | None = None
    # The date the recall promised this step by (business days from filing), if it promised one.
    due: date | None = None
    # Not done and its promised date has passed, while the claim waits for us.
    late: bool = False


@dataclass(frozen=True)
class Tracking:
    """The remedy's shipment as the consumer follows it: the carrier's own page, when known."""

    carrier: str
    number: str
    url: str


@dataclass(frozen=True)
class Message:
    """A note for the consumer: why information was asked for, or why a claim was refused."""

    status_label: str
    note: str
    at: datetime


@dataclass(frozen=True)
class Timeline:
    steps: list[Step]
    messages: list[Message]
    next: str
    is_stopped: bool
    tracking: Tracking | None = None

    @property
    def has_promises(self) -> bool:
        return any(step.due for step in self.steps)

    @property
    def late_steps(self) -> list[Step]:
        return [step for step in self.steps if step.late]


def consumer_timeline(claim: Claim, *, now: datetime | None = None) -> Timeline:
    """The steps done and to come with the dates the recall promised them by, the notes meant for
    the consumer (oldest first), and where the remedy's shipment can be followed."""
    today = (now or timezone.now()).astimezone(UTC).date()
    filed = claim.created_at.astimezone(UTC).date()
    promised = claim.recall.promised_business_days or {}
    disposal_first = claim.recall.disposal_before_shipping
    # A promise runs late only while the claim waits for us: not for the consumer, not once over.
    waits_for_us = claim.status not in ENDED_STATUSES and (
        STATUSES[claim.status].waits_for(disposal_first=disposal_first) != Waits.CONSUMER
    )
    events = list(claim.events.all())
    reached_at = {}
    for event in events:
        reached_at.setdefault(event.to_status, event.created_at)
    # A claim that gave its serial up (rejected, withdrawn) stopped short of its remedy.
    stopped = claim.status in RELEASED_STATUSES
    milestones = PROGRESS_DISPOSAL_FIRST if claim.recall.disposal_before_shipping else PROGRESS
    steps, current_found = [], stopped
    remedy = claim.remedy
    for status, _milestone in milestones:
        label = STATUSES[status].milestone_for(remedy)
        if status in reached_at:
            state = "done"
        elif not current_found:
            state, current_found = "current", True
        else:
            state = "upcoming"
        due = business_days_after(filed, promised[status]) if status in promised else None
        late = due is not None and state != "done" and due < today and waits_for_us
        steps.append(Step(label=label, state=state, at=reached_at.get(status), due=due, late=late))
    messages = [
        Message(status_label=STATUSES[e.to_status].label_for(remedy), note=e.note, at=e.created_at)
        for e in events
        if e.note and _note_for_consumer(e.from_status, e.to_status)
    ]
    next_step = STATUSES[claim.status].next_for(
        disposal_first=claim.recall.disposal_before_shipping, remedy=remedy
    )
    # The table's sentences name the unit by the recall's word for it (%(noun)s), and the remedy
    # as the recall's offer labels it (%(remedy)s).
    next_step = consumer_sentence(
        next_step,
        noun=claim.recall.product_noun,
        remedy=claim.recall.remedy_offer(remedy).label,
    )
    return Timeline(
        steps=steps,
        messages=messages,
        next=next_step,
        is_stopped=stopped,
        tracking=_tracking(claim),
    )


def _tracking(claim: Claim) -> Tracking | None:
    """The latest shipment of the claim's remedy, with its carrier's tracking page."""
    shipment = max(claim.shipments.all(), key=lambda s: (s.created_at, s.pk), default=None)
    if shipment is None or not shipment.tracking_number:
        return None
    return Tracking(
        carrier=shipment.carrier,
        number=shipment.tracking_number,
        url=claim.recall.tracking_url(
            carrier=shipment.carrier, tracking_number=shipment.tracking_number
        ),
    )


def _note_for_consumer(from_status: str, to_status: str) -> bool:
    # The notes a step requires are the ones written for the consumer.
    step = step_between(from_status, to_status)
    return step is not None and step.note_required
