"""A claim's progress as the consumer sees it, in their language, read from the lifecycle table."""

from dataclasses import dataclass
from datetime import datetime

from recallcases.claims.lifecycle import (
    RELEASED_STATUSES,
    STATUSES,
    consumer_sentence,
    progress,
    step_between,
)
from recallcases.claims.models import Claim

# The steps of a claim that goes well, as the consumer would name them, in the order of a recall
# that ships the remedy first (the default) and of one that wants proof of disposal first.
PROGRESS = progress(disposal_first=False)
PROGRESS_DISPOSAL_FIRST = progress(disposal_first=True)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done", "current" or "upcoming"
    at: datetime | None = None


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


def consumer_timeline(claim: Claim) -> Timeline:
    """The steps done and to come, and the notes meant for the consumer, oldest first."""
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
        steps.append(Step(label=label, state=state, at=reached_at.get(status)))
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
    return Timeline(steps=steps, messages=messages, next=next_step, is_stopped=stopped)


def _note_for_consumer(from_status: str, to_status: str) -> bool:
    # The notes a step requires are the ones written for the consumer.
    step = step_between(from_status, to_status)
    return step is not None and step.note_required
