"""A claim's progress as the consumer sees it, in their language."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Claim
from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.transitions import NOTE_REQUIRED

# The steps of a claim that goes well, as the consumer would name them, in the order of a recall
# that ships the remedy first (the default) and of one that wants proof of disposal first.
_RECEIVED = (S.SUBMITTED, _("Claim received"))
_VERIFIED = (S.VERIFIED, _("Claim verified"))
_APPROVED = (S.REPLACEMENT_APPROVED, _("Replacement approved"))
_SHIPPED = (S.REPLACEMENT_SHIPPED, _("Replacement shipped"))
_DISPOSED = (S.DISPOSAL_CONFIRMED, _("Disposal of the recalled unit confirmed"))
_CLOSED = (S.CLOSED, _("Claim closed"))
PROGRESS = [_RECEIVED, _VERIFIED, _APPROVED, _SHIPPED, _DISPOSED, _CLOSED]
PROGRESS_DISPOSAL_FIRST = [_RECEIVED, _VERIFIED, _APPROVED, _DISPOSED, _SHIPPED, _CLOSED]

# What the consumer should know or do now.
NEXT = {
    S.SUBMITTED: _("We are checking your claim. We will email you when it is verified."),
    S.INFORMATION_REQUESTED: _(
        "We need more information from you before we can go on. Our message is below."
    ),
    S.RESUBMITTED: _("Thank you. We are checking what you sent."),
    S.VERIFIED: _("Your claim is verified. Your free replacement will be approved shortly."),
    S.REPLACEMENT_APPROVED: _("Your free replacement is approved and will ship soon."),
    S.REPLACEMENT_SHIPPED: _(
        "Your replacement is on its way. Now dispose of the recalled speaker safely and send us "
        "a photo as proof: see below."
    ),
    S.DISPOSAL_SUBMITTED: _("Thank you. We are checking your proof of disposal."),
    S.DISPOSAL_CONFIRMED: _("Your proof of disposal is accepted. Thank you."),
    S.CLOSED: _("Your claim is complete. Thank you."),
    S.REJECTED: _("We could not accept this claim. The reason is below."),
    S.WITHDRAWN: _("You withdrew this claim."),
}


# Where the recall wants proof of disposal before the remedy ships, two steps read differently.
NEXT_DISPOSAL_FIRST = {
    S.REPLACEMENT_APPROVED: _(
        "Your free replacement is approved. Before we ship it, dispose of the recalled speaker "
        "safely and send us a photo as proof: see below."
    ),
    S.DISPOSAL_CONFIRMED: _("Your proof of disposal is accepted. Your replacement will ship soon."),
}


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
    stopped = claim.status in (S.REJECTED, S.WITHDRAWN)
    progress = PROGRESS_DISPOSAL_FIRST if claim.recall.disposal_before_shipping else PROGRESS
    steps, current_found = [], stopped
    for status, label in progress:
        if status in reached_at:
            state = "done"
        elif not current_found:
            state, current_found = "current", True
        else:
            state = "upcoming"
        steps.append(Step(label=label, state=state, at=reached_at.get(status)))
    messages = [
        Message(status_label=S(e.to_status).label, note=e.note, at=e.created_at)
        for e in events
        if (e.from_status, e.to_status) in NOTE_REQUIRED and e.note
    ]
    next_step = NEXT[claim.status]
    if claim.recall.disposal_before_shipping:
        next_step = NEXT_DISPOSAL_FIRST.get(claim.status, next_step)
    return Timeline(steps=steps, messages=messages, next=next_step, is_stopped=stopped)
