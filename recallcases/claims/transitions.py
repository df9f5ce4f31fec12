"""The claim's life: which status may follow which, who may move it, and the one function that does.

Every change of a claim's status goes through `claim_transition`. It locks the claim's row, checks
the table and the actor's right, writes the event row and saves, in one transaction. The table is
the steps of `lifecycle.py`; TRANSITIONS and the sets below are views of it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from recallcases.claims.lifecycle import BY_CONSUMER, STATUSES, STEPS, Order, step_between
from recallcases.claims.models import Claim, ClaimEvent, ClaimPhoto
from recallcases.claims.models import ClaimStatus as S


@dataclass(frozen=True)
class Actor:
    """Who asks for a transition: a staff user, the consumer holding the link, or the system."""

    kind: str  # "staff", "consumer" or "system"
    user: object = None

    @classmethod
    def staff(cls, user):
        return cls(kind="staff", user=user)


CONSUMER = Actor(kind="consumer")
SYSTEM = Actor(kind="system")

# status → {next status: who may ask for it}: the lifecycle table's steps, in its order. Some steps
# depend on the recall's order of shipping and disposal: see DISPOSAL_FIRST and SHIPPING_FIRST.
TRANSITIONS: dict[str, dict[str, str]] = {
    status: {step.to_status: step.by for step in STEPS if step.from_status == status}
    for status in STATUSES
}

# Steps that exist only when the recall asks for proof of disposal before the remedy ships...
DISPOSAL_FIRST = {(s.from_status, s.to_status) for s in STEPS if s.order == Order.DISPOSAL_FIRST}
# ...and those that exist only when the remedy ships first (the default).
SHIPPING_FIRST = {(s.from_status, s.to_status) for s in STEPS if s.order == Order.SHIPPING_FIRST}

# Steps whose event note is shown to the consumer and must say something.
NOTE_REQUIRED = {(s.from_status, s.to_status) for s in STEPS if s.note_required}


def transitions_for(*, claim: Claim) -> dict[str, str]:
    """The steps open to `claim` now: the table, in the order its recall ships and disposes."""
    if claim.anonymised_at is not None:
        # The retention schedule removed who to ship to and write to: nothing can follow.
        return {}
    disposal_first = claim.recall.disposal_before_shipping
    return {
        step.to_status: step.by
        for step in STEPS
        if step.from_status == claim.status and step.open_in(disposal_first=disposal_first)
    }


# Called with (claim, event) inside the transaction that records each event, so that what must
# follow a step (the consumer's email in the outbox) is written atomically with it. Apps that
# claims must not import (notifications) add themselves here when they load.
EVENT_LISTENERS: list[Callable[[Claim, ClaimEvent], None]] = []


def record_event(*, claim: Claim, actor: Actor, from_status: str, to_status: str, note: str = ""):
    """Append a step to the claim's log and tell the listeners, in the caller's transaction."""
    event = ClaimEvent.objects.create(
        claim=claim,
        actor=actor.user,
        actor_kind=actor.kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    for listener in EVENT_LISTENERS:
        listener(claim, event)
    return event


class TransitionRefused(Exception):
    """A transition that may not happen; `message` is fit to show the person who asked."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def allowed_next_statuses(*, claim: Claim, actor: Actor) -> list[str]:
    """The statuses `actor` may move `claim` to now, in the order of the table."""
    return [
        status for status, who in transitions_for(claim=claim).items() if _may(actor=actor, who=who)
    ]


def _may(*, actor: Actor, who: str) -> bool:
    if actor.kind == "system":
        return True
    if who == BY_CONSUMER:
        return actor.kind == "consumer"
    return actor.kind == "staff" and actor.user is not None and actor.user.has_perm(who)


def photos_unseen(*, claim: Claim, user) -> list[ClaimPhoto]:
    """The claim's photos of proof items that must be seen before verifying, which `user` has
    not opened yet (`ClaimPhotoView`, written by the photo view)."""
    return list(
        ClaimPhoto.objects.filter(claim=claim, proof_item__seen_before_verify=True)
        .exclude(views__user=user)
        .select_related("proof_item")
    )


@transaction.atomic
def claim_transition(
    *,
    claim_id: int,
    to_status: str,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
) -> Claim:
    """Move a claim to `to_status`, or raise TransitionRefused and change nothing.

    `expected_version` is the version the asker saw; if the claim changed since, the transition
    is refused rather than applied on top of a change the asker did not see.
    """
    claim = Claim.objects.select_for_update(of=("self",)).select_related("recall").get(pk=claim_id)
    if expected_version is not None and claim.version != expected_version:
        raise TransitionRefused(
            _("This claim was changed by someone else meanwhile. Reload it and try again.")
        )
    allowed = transitions_for(claim=claim)
    if to_status not in allowed:
        raise TransitionRefused(
            _("A claim that is “%(current)s” cannot become “%(target)s”.")
            % {"current": S(claim.status).label, "target": S(to_status).label}
        )
    if not _may(actor=actor, who=allowed[to_status]):
        raise TransitionRefused(_("You are not allowed to make this change."))
    step = step_between(claim.status, to_status)
    if step.needs_photos_seen and actor.kind == "staff":
        unseen = photos_unseen(claim=claim, user=actor.user)
        if unseen:
            raise TransitionRefused(
                _("Open every photo that must be seen before verifying: %(photos)s.")
                % {"photos": ", ".join(dict.fromkeys(str(photo.label) for photo in unseen))}
            )
    note = note.strip()
    if step.note_required and not note:
        raise TransitionRefused(_("Please give a reason: the consumer will read it."))

    from_status = claim.status
    claim.status = to_status
    claim.version += 1
    try:
        # A savepoint: a refused reopening must not break the caller's transaction.
        with transaction.atomic():
            claim.save(update_fields=["status", "version", "updated_at"])
            record_event(
                claim=claim, actor=actor, from_status=from_status, to_status=to_status, note=note
            )
    except IntegrityError:
        # Only reopening can collide: another claim for this serial was filed meanwhile.
        raise TransitionRefused(
            _("Another open claim exists for this serial number; this one cannot be reopened.")
        ) from None
    return claim
