"""A claim's progress as the consumer sees it, in their language."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Claim
from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.transitions import NOTE_REQUIRED

# The steps of a claim that goes well, as the consumer would name them.
PROGRESS = [
    (S.SUBMITTED, _("Claim received")),
    (S.VERIFIED, _("Claim verified")),
    (S.REPLACEMENT_APPROVED, _("Replacement approved")),
    (S.REPLACEMENT_SHIPPED, _("Replacement shipped")),
    (S.DISPOSAL_CONFIRMED, _("Disposal of the recalled unit confirmed")),
    (S.CLOSED, _("Claim closed")),
]

# Where each status sits on that path (statuses off the path sit beside their last step).
_POSITION = {
    S.SUBMITTED: 0,
    S.INFORMATION_REQUESTED: 0,
    S.RESUBMITTED: 0,
    S.VERIFIED: 1,
    S.REPLACEMENT_APPROVED: 2,
    S.REPLACEMENT_SHIPPED: 3,
    S.DISPOSAL_SUBMITTED: 3,
    S.DISPOSAL_CONFIRMED: 4,
    S.CLOSED: 5,
}

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
    if stopped:
        # The path ends at the last step the claim had reached.
        position = max((_POSITION[e.from_status] for e in events if e.from_status), default=0)
    else:
        position = _POSITION[claim.status]
    steps = []
    for index, (status, label) in enumerate(PROGRESS):
        if index <= position:
            state = "done"
        elif index == position + 1 and not stopped:
            state = "current"
        else:
            state = "upcoming"
        steps.append(Step(label=label, state=state, at=reached_at.get(status)))
    messages = [
        Message(status_label=S(e.to_status).label, note=e.note, at=e.created_at)
        for e in events
        if (e.from_status, e.to_status) in NOTE_REQUIRED and e.note
    ]
    return Timeline(
        steps=steps,
        messages=messages,
        next=NEXT[claim.status],
        is_stopped=stopped,
    )
