"""The claim's life in one table: what each status means, and what each step between two does.

Everything that depends on a claim's status is read from here: the transitions and who may ask
for each (`transitions.py`), the note a step requires, the email each step sends and the reminders
(`notifications`), the staff buttons and their shortcuts (`workspace`), the consumer's progress and
"what happens next" (`timeline.py`), the review queue, the list of claims to ship, and which
statuses free the serial for a new claim.

Adding a status is one edit here, plus its translations:
1. a member of `ClaimStatus`, with a one-line comment of what it means to the consumer;
2. its `Status` entry in `STATUSES` (its "what happens next" sentence, what it waits for, ...);
3. the `Step`s that lead to it and away from it in `STEPS`, each with who may ask, its email kind
   (a kind of `notifications.models.EmailKind`, or None), and its button when staff take it;
4. `make messages` and the French of the new strings; `makemigrations` for the status's choice
   and the check constraint on known statuses.
`tests/claims/test_lifecycle.py` fails until every status and step says all it must.

A recall may offer other remedies than a replacement (a refund, a gift card, a repair kit): the
statuses are the same for every remedy, "replacement approved" meaning "remedy approved" and
"replacement shipped" "remedy issued" (shipped, paid, or its code sent). Where a status means
something else to the consumer of another remedy, its `Words` say it (`REMEDY_WORDS`).

This module imports no claims model: `models.py` reads `ClaimStatus` and `RELEASED_STATUSES` from
it. Email kinds are their string values, since claims must not import notifications.
"""

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recallcases.recalls.models import ISSUED_BY, Issue, Remedy


class ClaimStatus(models.TextChoices):
    # We have the claim and will check it.
    SUBMITTED = "submitted", _("Submitted")
    # We need something from you (a clearer photo, the right serial) before we can go on.
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    # You sent what we asked for; we will check it again.
    RESUBMITTED = "resubmitted", _("Resubmitted")
    # Your unit is part of the recall and your claim is in order.
    VERIFIED = "verified", _("Verified")
    # Your free replacement (or the remedy you chose) is approved and will be issued soon.
    REPLACEMENT_APPROVED = "replacement_approved", _("Replacement approved")
    # Your replacement is on its way (your refund is paid, your gift card's code sent).
    REPLACEMENT_SHIPPED = "replacement_shipped", _("Replacement shipped")
    # You sent proof that the recalled unit is out of use; we will check it.
    DISPOSAL_SUBMITTED = "disposal_submitted", _("Proof of disposal received")
    # Your proof of disposal is accepted.
    DISPOSAL_CONFIRMED = "disposal_confirmed", _("Disposal confirmed")
    # Nothing more to do.
    CLOSED = "closed", _("Closed")
    # We could not accept the claim; the reason is given.
    REJECTED = "rejected", _("Rejected")
    # You withdrew the claim.
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ClaimStatus


class Waits(StrEnum):
    """Whom a claim in a status waits for."""

    REVIEW = "review"  # a reviewer checks what the consumer sent (the review queue)
    APPROVAL = "approval"  # staff approve the remedy
    FULFILMENT = "fulfilment"  # the remedy is to ship (the shipping list)
    CONSUMER = "consumer"  # the consumer sends something from their status page
    CLOSING = "closing"  # staff close the claim
    NOTHING = "nothing"  # the claim's life is over, unless staff reopen it


class Order(StrEnum):
    """The recall's order of shipping and disposal a step belongs to."""

    BOTH = "both"
    SHIPPING_FIRST = "shipping_first"  # the remedy ships, then the consumer proves disposal
    DISPOSAL_FIRST = "disposal_first"  # `Recall.disposal_before_shipping`: proof, then the remedy


@dataclass(frozen=True)
class Reminder:
    """The email that reminds a consumer the claim waits for them, every `days_field` days."""

    kind: str  # a notifications EmailKind value
    days_field: str  # the Recall field with the number of days; 0 or empty sends none


@dataclass(frozen=True)
class Words:
    """What a status says to the consumer of another remedy than a replacement, where it differs.

    Each may name the remedy as the recall's offer labels it (%(remedy)s) and the unit (%(noun)s).
    """

    label: Promise | None = None
    next: Promise | None = None
    next_disposal_first: Promise | None = None
    milestone: Promise | None = None


@dataclass(frozen=True)
class Status:
    """What a status means: to the consumer, to the queues, and to the serial it claims."""

    status: ClaimStatus
    next: Promise  # what the consumer should know or do now
    waits: Waits
    # where the recall wants proof of disposal before shipping, when it differs from the above
    next_disposal_first: Promise | None = None
    waits_disposal_first: Waits | None = None
    # how the consumer's progress list names reaching this status; None: not a step of it
    milestone: Promise | None = None
    # sent while the claim waits here for the consumer (Waits.CONSUMER), in either order
    reminder: Reminder | None = None
    # a claim here no longer holds its serial: a new claim may be filed for it
    releases_serial: bool = False
    # the consumer may still change the remedy they chose (before it is approved)
    remedy_open: bool = False
    # remedy → what the status says to its consumer, where it differs from the above
    by_remedy: dict[str, Words] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.status.label

    def _words(self, remedy: str) -> Words:
        return self.by_remedy.get(remedy) or Words()

    def label_for(self, remedy: str = Remedy.REPLACEMENT) -> Promise:
        """The status's name for a claim of `remedy`."""
        return self._words(remedy).label or self.status.label

    def milestone_for(self, remedy: str = Remedy.REPLACEMENT) -> Promise | None:
        """How the consumer's progress list names reaching this status, for `remedy`."""
        if self.milestone is None:
            return None
        return self._words(remedy).milestone or self.milestone

    def next_for(self, *, disposal_first: bool, remedy: str = Remedy.REPLACEMENT) -> Promise:
        """What the consumer should know or do now, in the recall's order, for `remedy`."""
        words = self._words(remedy)
        if disposal_first and (words.next_disposal_first or self.next_disposal_first) is not None:
            return words.next_disposal_first or self.next_disposal_first
        return words.next or self.next

    def waits_for(self, *, disposal_first: bool) -> Waits:
        """Whom the claim waits for now, in the recall's order."""
        if disposal_first and self.waits_disposal_first is not None:
            return self.waits_disposal_first
        return self.waits


@dataclass(frozen=True)
class Button:
    """How a staff step reads on the claim's page, and the key that presses it."""

    label: Promise
    key: str
    style: str  # Bootstrap's: success, warning, danger, secondary
    # its label on the page of a claim of another remedy than a replacement, when it differs
    label_other_remedy: Promise | None = None

    def label_for(self, remedy: str = Remedy.REPLACEMENT) -> Promise:
        if remedy != Remedy.REPLACEMENT and self.label_other_remedy is not None:
            return self.label_other_remedy
        return self.label


# Who may ask for a step: the consumer through their private link, or staff holding a permission.
BY_CONSUMER = "consumer"
VERIFY = "claims.verify_claim"
APPROVE = "claims.approve_replacement"
SHIP = "claims.record_shipment"
REVIEW_DISPOSAL = "claims.review_disposal"
CLOSE = "claims.close_claim"
REOPEN = "claims.reopen_claim"


@dataclass(frozen=True)
class Step:
    """One step from a status to another: who may ask, what it needs and what follows it."""

    from_status: str
    to_status: str
    by: str  # BY_CONSUMER or the permission staff need
    email_kind: str | None  # the notifications EmailKind value this step sends, or None: no email
    # staff steps: the button; None for the consumer's steps and for shipping (`ships`)
    button: Button | None = None
    order: Order = Order.BOTH
    # the event's note is shown to the consumer, so it must say something
    note_required: bool = False
    # taken with the shipment's carrier and tracking number (`claim_ship`), not with a button
    ships: bool = False
    # staff may take it only once they opened every photo of the recall's proof items that must
    # be seen first (`ProofItem.seen_before_verify`; `transitions.photos_unseen`)
    needs_photos_seen: bool = False

    @property
    def by_consumer(self) -> bool:
        return self.by == BY_CONSUMER

    def open_in(self, *, disposal_first: bool) -> bool:
        """Whether this step exists for a recall of that order."""
        excluded = Order.SHIPPING_FIRST if disposal_first else Order.DISPOSAL_FIRST
        return self.order != excluded


def _by_issue(**words: Words) -> dict[str, Words]:
    """Words per remedy from words per way of issuing it ("shipment", "code", "payment")."""
    return {
        remedy: words[issue]
        for remedy, issue in ISSUED_BY.items()
        if remedy != Remedy.REPLACEMENT and issue in words
    }


_DISPOSE_NOW = _(
    "Now dispose of the recalled %(noun)s safely and send us a photo as proof: see below."
)
REMEDY_WORDS: dict[str, dict[str, Words]] = {
    S.VERIFIED: _by_issue(
        **dict.fromkeys(
            Issue.values,
            Words(
                next=_("Your claim is verified. Your remedy (%(remedy)s) will be approved shortly.")
            ),
        )
    ),
    S.REPLACEMENT_APPROVED: {
        remedy: Words(
            label=_("Remedy approved"),
            milestone=_("Remedy approved"),
            next=words.next,
            next_disposal_first=_(
                "Your remedy (%(remedy)s) is approved. Before we issue it, dispose of the recalled "
                "%(noun)s safely and send us a photo as proof: see below."
            ),
        )
        for remedy, words in _by_issue(
            shipment=Words(next=_("Your remedy (%(remedy)s) is approved and will ship soon.")),
            code=Words(
                next=_("Your remedy (%(remedy)s) is approved. We will email you its code shortly.")
            ),
            payment=Words(
                next=_("Your refund (%(remedy)s) is approved. We will email you when it is paid.")
            ),
        ).items()
    },
    S.REPLACEMENT_SHIPPED: _by_issue(
        shipment=Words(
            label=_("Remedy shipped"),
            milestone=_("Remedy shipped"),
            next=_("Your remedy (%(remedy)s) is on its way. %(dispose_now)s"),
            next_disposal_first=_("Your remedy (%(remedy)s) is on its way. Thank you."),
        ),
        code=Words(
            label=_("Code sent"),
            milestone=_("Code sent by email"),
            next=_("We emailed you the code of your remedy (%(remedy)s). %(dispose_now)s"),
            next_disposal_first=_(
                "We emailed you the code of your remedy (%(remedy)s). Thank you."
            ),
        ),
        payment=Words(
            label=_("Refund paid"),
            milestone=_("Refund paid"),
            next=_("Your refund (%(remedy)s) is paid. %(dispose_now)s"),
            next_disposal_first=_("Your refund (%(remedy)s) is paid. Thank you."),
        ),
    ),
    S.DISPOSAL_CONFIRMED: _by_issue(
        shipment=Words(
            next_disposal_first=_(
                "Your proof of disposal is accepted. Your remedy (%(remedy)s) will ship soon."
            )
        ),
        code=Words(
            next_disposal_first=_(
                "Your proof of disposal is accepted. We will email you the code of your remedy "
                "(%(remedy)s) shortly."
            )
        ),
        payment=Words(
            next_disposal_first=_(
                "Your proof of disposal is accepted. Your refund (%(remedy)s) will be paid soon."
            )
        ),
    ),
}


def consumer_sentence(text: Promise, *, noun: str, remedy: str) -> str:
    """A sentence of the table with the recall's word for the unit and the remedy's label."""
    return str(text) % {
        "noun": noun,
        "remedy": remedy,
        "dispose_now": str(_DISPOSE_NOW) % {"noun": noun},
    }


STATUSES: dict[str, Status] = {
    entry.status: entry
    for entry in [
        Status(
            S.SUBMITTED,
            next=_("We are checking your claim. We will email you when it is verified."),
            waits=Waits.REVIEW,
            milestone=_("Claim received"),
            remedy_open=True,
        ),
        Status(
            S.INFORMATION_REQUESTED,
            next=_("We need more information from you before we can go on. Our message is below."),
            waits=Waits.CONSUMER,
            reminder=Reminder("information_reminder", "information_reminder_days"),
            remedy_open=True,
        ),
        Status(
            S.RESUBMITTED,
            next=_("Thank you. We are checking what you sent."),
            waits=Waits.REVIEW,
            remedy_open=True,
        ),
        Status(
            S.VERIFIED,
            next=_("Your claim is verified. Your free replacement will be approved shortly."),
            waits=Waits.APPROVAL,
            milestone=_("Claim verified"),
            remedy_open=True,
        ),
        Status(
            S.REPLACEMENT_APPROVED,
            next=_("Your free replacement is approved and will ship soon."),
            waits=Waits.FULFILMENT,
            next_disposal_first=_(
                "Your free replacement is approved. Before we ship it, dispose of the recalled "
                "%(noun)s safely and send us a photo as proof: see below."
            ),
            waits_disposal_first=Waits.CONSUMER,
            milestone=_("Replacement approved"),
            reminder=Reminder("disposal_reminder", "disposal_reminder_days"),
        ),
        Status(
            S.REPLACEMENT_SHIPPED,
            next=_(
                "Your replacement is on its way. Now dispose of the recalled %(noun)s safely and "
                "send us a photo as proof: see below."
            ),
            waits=Waits.CONSUMER,
            waits_disposal_first=Waits.CLOSING,
            milestone=_("Replacement shipped"),
            reminder=Reminder("disposal_reminder", "disposal_reminder_days"),
        ),
        Status(
            S.DISPOSAL_SUBMITTED,
            next=_("Thank you. We are checking your proof of disposal."),
            waits=Waits.REVIEW,
        ),
        Status(
            S.DISPOSAL_CONFIRMED,
            next=_("Your proof of disposal is accepted. Thank you."),
            waits=Waits.CLOSING,
            next_disposal_first=_(
                "Your proof of disposal is accepted. Your replacement will ship soon."
            ),
            waits_disposal_first=Waits.FULFILMENT,
            milestone=_("Disposal of the recalled unit confirmed"),
        ),
        Status(
            S.CLOSED,
            next=_("Your claim is complete. Thank you."),
            waits=Waits.NOTHING,
            milestone=_("Claim closed"),
        ),
        Status(
            S.REJECTED,
            next=_("We could not accept this claim. The reason is below."),
            waits=Waits.NOTHING,
            releases_serial=True,
        ),
        Status(
            S.WITHDRAWN,
            next=_("You withdrew this claim."),
            waits=Waits.NOTHING,
            releases_serial=True,
        ),
    ]
}
# Each status's words for the other remedies, from REMEDY_WORDS.
STATUSES = {
    status: Status(**{**entry.__dict__, "by_remedy": REMEDY_WORDS.get(status, {})})
    for status, entry in STATUSES.items()
}

_VERIFY = Button(_("Verify"), "v", "success")
_ASK_FOR_MORE = Button(_("Ask for more"), "a", "warning")
_REJECT = Button(_("Reject"), "r", "danger")
_APPROVE = Button(_("Approve replacement"), "p", "success", _("Approve remedy"))
_ACCEPT_PROOF = Button(_("Accept disposal proof"), "d", "success")
_REFUSE_PROOF = Button(_("Refuse proof, ask again"), "a", "warning")
_CLOSE = Button(_("Close"), "c", "secondary")
_REOPEN = Button(_("Reopen"), "o", "secondary")

# The consumer files the claim (`claim_submit`): the first event of every claim, not a transition.
SUBMISSION = Step("", S.SUBMITTED, by=BY_CONSUMER, email_kind="received")

# Every transition, grouped by the status it leaves, in the order the staff buttons show.
STEPS: list[Step] = [
    Step(S.SUBMITTED, S.INFORMATION_REQUESTED, by=VERIFY, email_kind="information_requested",
         button=_ASK_FOR_MORE, note_required=True),
    Step(S.SUBMITTED, S.VERIFIED, by=VERIFY, email_kind="verified", button=_VERIFY,
         needs_photos_seen=True),
    Step(S.SUBMITTED, S.REJECTED, by=VERIFY, email_kind="rejected", button=_REJECT,
         note_required=True),
    Step(S.SUBMITTED, S.WITHDRAWN, by=BY_CONSUMER, email_kind="withdrawn"),

    Step(S.INFORMATION_REQUESTED, S.RESUBMITTED, by=BY_CONSUMER, email_kind=None),
    Step(S.INFORMATION_REQUESTED, S.REJECTED, by=VERIFY, email_kind="rejected", button=_REJECT,
         note_required=True),
    Step(S.INFORMATION_REQUESTED, S.WITHDRAWN, by=BY_CONSUMER, email_kind="withdrawn"),

    Step(S.RESUBMITTED, S.INFORMATION_REQUESTED, by=VERIFY, email_kind="information_requested",
         button=_ASK_FOR_MORE, note_required=True),
    Step(S.RESUBMITTED, S.VERIFIED, by=VERIFY, email_kind="verified", button=_VERIFY,
         needs_photos_seen=True),
    Step(S.RESUBMITTED, S.REJECTED, by=VERIFY, email_kind="rejected", button=_REJECT,
         note_required=True),
    Step(S.RESUBMITTED, S.WITHDRAWN, by=BY_CONSUMER, email_kind="withdrawn"),

    Step(S.VERIFIED, S.REPLACEMENT_APPROVED, by=APPROVE, email_kind="replacement_approved",
         button=_APPROVE),
    Step(S.VERIFIED, S.WITHDRAWN, by=BY_CONSUMER, email_kind="withdrawn"),

    Step(S.REPLACEMENT_APPROVED, S.REPLACEMENT_SHIPPED, by=SHIP, email_kind="replacement_shipped",
         order=Order.SHIPPING_FIRST, ships=True),
    Step(S.REPLACEMENT_APPROVED, S.DISPOSAL_SUBMITTED, by=BY_CONSUMER, email_kind=None,
         order=Order.DISPOSAL_FIRST),
    Step(S.REPLACEMENT_APPROVED, S.WITHDRAWN, by=BY_CONSUMER, email_kind="withdrawn"),

    Step(S.REPLACEMENT_SHIPPED, S.DISPOSAL_SUBMITTED, by=BY_CONSUMER, email_kind=None,
         order=Order.SHIPPING_FIRST),
    Step(S.REPLACEMENT_SHIPPED, S.CLOSED, by=CLOSE, email_kind=None, button=_CLOSE,
         order=Order.DISPOSAL_FIRST),

    Step(S.DISPOSAL_SUBMITTED, S.DISPOSAL_CONFIRMED, by=REVIEW_DISPOSAL,
         email_kind="disposal_confirmed", button=_ACCEPT_PROOF),
    # Proof refused: back to waiting for proof, with the reason in the event's note.
    Step(S.DISPOSAL_SUBMITTED, S.REPLACEMENT_SHIPPED, by=REVIEW_DISPOSAL,
         email_kind="disposal_refused", button=_REFUSE_PROOF, order=Order.SHIPPING_FIRST,
         note_required=True),
    Step(S.DISPOSAL_SUBMITTED, S.REPLACEMENT_APPROVED, by=REVIEW_DISPOSAL,
         email_kind="disposal_refused", button=_REFUSE_PROOF, order=Order.DISPOSAL_FIRST,
         note_required=True),

    Step(S.DISPOSAL_CONFIRMED, S.REPLACEMENT_SHIPPED, by=SHIP, email_kind="replacement_shipped",
         order=Order.DISPOSAL_FIRST, ships=True),
    Step(S.DISPOSAL_CONFIRMED, S.CLOSED, by=CLOSE, email_kind=None, button=_CLOSE,
         order=Order.SHIPPING_FIRST),

    Step(S.REJECTED, S.SUBMITTED, by=REOPEN, email_kind="reopened", button=_REOPEN),
    Step(S.WITHDRAWN, S.SUBMITTED, by=REOPEN, email_kind="reopened", button=_REOPEN),
]  # fmt: skip

# (from status, to status) → the step, the submission included.
STEP_BY_PAIR: dict[tuple[str, str], Step] = {
    (step.from_status, step.to_status): step for step in (SUBMISSION, *STEPS)
}

# A claim in one of these statuses no longer holds its serial: a new claim may be filed for it.
RELEASED_STATUSES = tuple(entry.status for entry in STATUSES.values() if entry.releases_serial)

# Statuses where a claim's life is over (closed, rejected, withdrawn): it waits for nothing, in
# either order, unless staff reopen it. The retention schedule and the status links' expiry count
# from the moment a claim reached one.
ENDED_STATUSES = tuple(
    entry.status
    for entry in STATUSES.values()
    if entry.waits_for(disposal_first=False) == Waits.NOTHING
    and entry.waits_for(disposal_first=True) == Waits.NOTHING
)


def step_between(from_status: str, to_status: str) -> Step | None:
    """The step from one status to another, or None where the table has none."""
    return STEP_BY_PAIR.get((from_status, to_status))


def _where(applies: Callable[[Status, bool], bool]) -> Q:
    """A filter of the claims in the statuses where `applies(entry, disposal_first)`, each status
    kept to the recalls whose order of shipping and disposal it applies to."""
    everywhere, by_order = [], []
    for entry in STATUSES.values():
        shipping_first, disposal_first = applies(entry, False), applies(entry, True)
        if shipping_first and disposal_first:
            everywhere.append(entry.status)
        elif shipping_first or disposal_first:
            by_order.append(Q(status=entry.status, recall__disposal_before_shipping=disposal_first))
    if len(everywhere) > 1:
        by_order.insert(0, Q(status__in=everywhere))
    elif everywhere:
        by_order.insert(0, Q(status=everywhere[0]))
    # No status at all: a condition no claim meets.
    return functools.reduce(operator.or_, by_order) if by_order else Q(pk__in=[])


def waiting_for(waits: Waits) -> Q:
    """A filter of the claims that wait for `waits` now, in their recall's order."""
    return _where(
        lambda entry, disposal_first: entry.waits_for(disposal_first=disposal_first) == waits
    )


def reminders() -> dict[str, tuple[Q, str]]:
    """reminder kind → (the claims that wait for the consumer with it, the recall's days field)."""
    days_fields = {e.reminder.kind: e.reminder.days_field for e in STATUSES.values() if e.reminder}
    return {
        kind: (
            _where(
                lambda entry, disposal_first, kind=kind: (
                    entry.reminder is not None
                    and entry.reminder.kind == kind
                    and entry.waits_for(disposal_first=disposal_first) == Waits.CONSUMER
                )
            ),
            days_field,
        )
        for kind, days_field in days_fields.items()
    }


def progress(*, disposal_first: bool) -> list[tuple[str, Promise]]:
    """The consumer's progress list: (status, milestone), in the order a claim that goes well
    reaches them, i.e. by the fewest steps from submission along the steps of the recall's order.
    """
    distance = {SUBMISSION.to_status: 0}
    frontier = [SUBMISSION.to_status]
    while frontier:
        reached = []
        for step in STEPS:
            if (
                step.from_status in frontier
                and step.to_status not in distance
                and step.open_in(disposal_first=disposal_first)
            ):
                distance[step.to_status] = distance[step.from_status] + 1
                reached.append(step.to_status)
        frontier = reached
    ranked = sorted(
        (distance[status], index, status)
        for index, status in enumerate(STATUSES)
        if STATUSES[status].milestone is not None and status in distance
    )
    return [(status, STATUSES[status].milestone) for _distance, _index, status in ranked]
