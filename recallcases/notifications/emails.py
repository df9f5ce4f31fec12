"""What each email says, in the consumer's language, and how it is put together."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recallcases.claims.lifecycle import STEPS, ClaimStatus
from recallcases.claims.models import RemedyCode
from recallcases.claims.services import claim_link_for, tracking_url
from recallcases.notifications.models import EmailKind as K
from recallcases.notifications.models import OutboundEmail
from recallcases.notifications.tokens import verification_code_shown
from recallcases.recalls.models import Issue, Recall, Remedy

# kind → (subject, paragraphs). Placeholders: %(reference)s, %(recall)s, %(product)s (the
# product's name), %(noun)s (what the recall calls its unit: "speaker", "power bank").
CONTENT = {
    K.RECEIVED: (
        _("We received your claim %(reference)s"),
        [
            _("Thank you. We received your claim for a free replacement of your %(product)s."),
            _("Until your replacement arrives, do not use the recalled %(noun)s: keep it powered "
              "off and unplugged."),
        ],
    ),
    K.INFORMATION_REQUESTED: (
        _("We need more information for your claim %(reference)s"),
        [_("Before we can go on with your claim, we need something from you:")],
    ),
    K.VERIFIED: (
        _("Your claim %(reference)s is verified"),
        [_("Your %(noun)s is part of the recall and your claim is in order. Your free "
           "replacement will be approved shortly.")],
    ),
    K.REPLACEMENT_APPROVED: (
        _("Your free replacement is approved (%(reference)s)"),
        [_("Your free replacement is approved. We will email you when it ships.")],
    ),
    K.REPLACEMENT_SHIPPED: (
        _("Your replacement is on its way (%(reference)s)"),
        [_("Your replacement %(noun)s has shipped.")],
    ),
    K.DISPOSAL_REFUSED: (
        _("Please send a new proof of disposal (%(reference)s)"),
        [_("We could not accept the proof of disposal you sent:")],
    ),
    K.DISPOSAL_CONFIRMED: (
        _("Your proof of disposal is accepted (%(reference)s)"),
        [_("Thank you for disposing of the recalled %(noun)s safely.")],
    ),
    K.REJECTED: (
        _("We could not accept your claim %(reference)s"),
        [_("We could not accept your claim, for this reason:")],
    ),
    K.WITHDRAWN: (
        _("Your claim %(reference)s is withdrawn"),
        [_("Your claim is withdrawn, as you asked. If this is a mistake, contact us.")],
    ),
    K.REOPENED: (
        _("Your claim %(reference)s is open again"),
        [_("We reopened your claim and will check it again.")],
    ),
    K.DISPOSAL_REMINDER: (
        _("Reminder: send your proof of disposal (%(reference)s)"),
        [_("We have not received your proof that the recalled %(noun)s is out of use. Please "
           "send it from your claim's page: the recalled unit must not be used or thrown in the "
           "household trash.")],
    ),
    K.INFORMATION_REMINDER: (
        _("Reminder: we still need information for your claim %(reference)s"),
        [_("We are still waiting for the information we asked for. Your claim cannot go on "
           "without it.")],
    ),
    K.LINK_RENEWED: (
        _("A new link to your claim %(reference)s"),
        [_("We replaced the private link to your claim: the links in our earlier emails no "
           "longer work. From now on, use the link below.")],
    ),
}  # fmt: skip

# What the emails above say instead to the consumer of another remedy than a replacement, by how
# the remedy is issued (recalls.models.Issue). Placeholders as above, and %(remedy)s: the remedy
# as the recall's offer labels it ("$30 gift card").
_RECEIVED_OTHER = (
    _("We received your claim %(reference)s"),
    [
        _(
            "Thank you. We received your claim for your %(product)s. The remedy you chose: "
            "%(remedy)s."
        ),
        _("From now on, do not use the recalled %(noun)s: keep it powered off and unplugged."),
    ],
)
_VERIFIED_OTHER = (
    _("Your claim %(reference)s is verified"),
    [
        _(
            "Your %(noun)s is part of the recall and your claim is in order. Your remedy "
            "(%(remedy)s) will be approved shortly."
        )
    ],
)
REMEDY_CONTENT = {
    Issue.SHIPMENT: {
        K.RECEIVED: _RECEIVED_OTHER,
        K.VERIFIED: _VERIFIED_OTHER,
        K.REPLACEMENT_APPROVED: (
            _("Your remedy is approved (%(reference)s)"),
            [_("Your remedy (%(remedy)s) is approved. We will email you when it ships.")],
        ),
        K.REPLACEMENT_SHIPPED: (
            _("Your remedy is on its way (%(reference)s)"),
            [_("Your remedy (%(remedy)s) has shipped.")],
        ),
    },
    Issue.CODE: {
        K.RECEIVED: _RECEIVED_OTHER,
        K.VERIFIED: _VERIFIED_OTHER,
        K.REPLACEMENT_APPROVED: (
            _("Your remedy is approved (%(reference)s)"),
            [_("Your remedy (%(remedy)s) is approved. We will email you its code shortly.")],
        ),
        K.REPLACEMENT_SHIPPED: (
            _("Your code for %(remedy)s (%(reference)s)"),
            [_("Here is the code of your remedy (%(remedy)s). Keep it private: this is the "
               "only time we send it.")],
        ),
    },
    Issue.PAYMENT: {
        K.RECEIVED: _RECEIVED_OTHER,
        K.VERIFIED: _VERIFIED_OTHER,
        K.REPLACEMENT_APPROVED: (
            _("Your refund is approved (%(reference)s)"),
            [_("Your refund (%(remedy)s) is approved. We will email you when it is paid.")],
        ),
        K.REPLACEMENT_SHIPPED: (
            _("Your refund is paid (%(reference)s)"),
            [_("Your refund (%(remedy)s) is paid.")],
        ),
    },
}  # fmt: skip


def claim_content(email: OutboundEmail):
    """(subject, paragraphs) of a claim's email, for the remedy of its claim."""
    claim = email.claim
    if claim.remedy != Remedy.REPLACEMENT:
        issued_by = claim.recall.remedy_offer(claim.remedy).issued_by
        if email.kind in REMEDY_CONTENT[issued_by]:
            return REMEDY_CONTENT[issued_by][email.kind]
    return CONTENT[email.kind]


# Where the recall wants proof of disposal before the remedy is issued, what these say instead.
DISPOSAL_FIRST_PARAGRAPHS = {
    K.REPLACEMENT_APPROVED: [
        _("Your free replacement is approved. We will ship it once we have accepted your proof "
          "that the recalled %(noun)s is disposed of.")
    ],
}  # fmt: skip
# ... and for another remedy than a replacement (%(remedy)s: the remedy as the offer labels it).
DISPOSAL_FIRST_PARAGRAPHS_OTHER = {
    K.REPLACEMENT_APPROVED: [
        _("Your remedy (%(remedy)s) is approved. We will issue it once we have accepted your "
          "proof that the recalled %(noun)s is disposed of.")
    ],
}  # fmt: skip


def wants_disposal_proof(*, kind: str, disposal_first: bool) -> bool:
    """Whether an email of `kind` asks for proof of disposal, in the recall's order.

    Read from the lifecycle table: the emails of the steps after which the consumer sends the
    proof (in shipping-first recalls the shipment, in disposal-first ones the approval; in both
    a refused proof), and the disposal reminder.
    """
    if kind == K.DISPOSAL_REMINDER:
        return True
    consumer_sends_proof = {
        step.from_status
        for step in STEPS
        if step.to_status == ClaimStatus.DISPOSAL_SUBMITTED
        and step.by_consumer
        and step.open_in(disposal_first=disposal_first)
    }
    return any(
        step.email_kind == kind
        and step.open_in(disposal_first=disposal_first)
        and step.to_status in consumer_sends_proof
        for step in STEPS
    )


def new_message_id() -> str:
    return make_msgid(domain=settings.EMAIL_MESSAGE_ID_DOMAIN)


@dataclass(frozen=True)
class RegisteredKind:
    # What staff see of it (the failed-emails list, the claim page).
    label: str | Promise
    # function(email) -> the message, rendered when it is sent.
    composer: Callable[[OutboundEmail], EmailMultiAlternatives]
    # Optional: function(emails) -> for each, its message or the error composing it raised; for
    # kinds sent by the thousand (notices), which render each template once per batch and
    # language, and read what they need in one query.
    batch_composer: Callable[[Sequence[OutboundEmail]], list] | None = None


# kind → its label and composer. Only these kinds can be written (outbox_write). The claim emails
# below are registered here; apps that notifications must not import (incidents, notices)
# register theirs when they load.
KINDS: dict[str, RegisteredKind] = {}


def email_kind_register(
    *,
    kind: str,
    label: str | Promise,
    composer: Callable[[OutboundEmail], EmailMultiAlternatives],
    batch_composer: Callable[[Sequence[OutboundEmail]], list] | None = None,
) -> None:
    """Make `kind` an email the outbox can write, shown as `label`, rendered by `composer`
    (and, for a batch, by `batch_composer` if given: the same messages, made faster)."""
    KINDS[kind] = RegisteredKind(label=label, composer=composer, batch_composer=batch_composer)


def email_kind_label(kind: str) -> str:
    """The label of `kind` for staff; the kind itself if no app registers it (any more)."""
    registered = KINDS.get(kind)
    return str(registered.label) if registered else kind


def verification_context(email: OutboundEmail) -> dict:
    """What every message's footer needs (emails/_verification.*): its verification code and the
    page that checks it, in the active language. Each composer adds it to its template's context;
    tests/notifications/test_verification.py holds every registered kind to it."""
    return {
        "verification_code": verification_code_shown(email.verification_code or ""),
        "verify_url": settings.SITE_URL + reverse("consumer:message_verify"),
    }


def compose(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message `email` stands for, rendered now by its kind's composer, with the Message-ID
    fixed when the row was written: every composer's message carries it."""
    message = KINDS[email.kind].composer(email)
    message.extra_headers["Message-ID"] = email.message_id
    return message


def compose_many(emails: Sequence[OutboundEmail]) -> list[EmailMultiAlternatives | Exception]:
    """The messages of `emails`, in their order: for each, its message or the error raised
    composing it (the batch records that email's failure and goes on with the others)."""
    by_kind: dict[str, list[int]] = {}
    for index, email in enumerate(emails):
        by_kind.setdefault(email.kind, []).append(index)
    messages: list = [None] * len(emails)
    for kind, indexes in by_kind.items():
        registered = KINDS[kind]
        group = [emails[index] for index in indexes]
        if registered.batch_composer is not None:
            composed = registered.batch_composer(group)
        else:
            composed = []
            for email in group:
                try:
                    composed.append(registered.composer(email))
                except Exception as error:  # recorded as that email's failure
                    composed.append(error)
        for index, email, message in zip(indexes, group, composed, strict=True):
            if not isinstance(message, Exception):
                message.extra_headers["Message-ID"] = email.message_id
            messages[index] = message
    return messages


def compose_claim_email(email: OutboundEmail) -> EmailMultiAlternatives:
    """A claim's email to its consumer, rendered now in the claim's language.

    Each message carries a private link of its own, the same on every try (only its hash is
    kept), and the Message-ID fixed when the row was written.
    """
    claim = email.claim
    recall = claim.recall
    with translation.override(claim.language):
        token = claim_link_for(claim=claim, key=email.message_id)
        status_url = settings.SITE_URL + reverse("consumer:claim_status", kwargs={"token": token})
        subject_text, paragraphs = claim_content(email)
        offer = recall.remedy_offer(claim.remedy)
        disposal_first = recall.disposal_before_shipping
        if disposal_first:
            instead = (
                DISPOSAL_FIRST_PARAGRAPHS
                if claim.remedy == Remedy.REPLACEMENT
                else DISPOSAL_FIRST_PARAGRAPHS_OTHER
            )
            paragraphs = instead.get(email.kind, paragraphs)
        names = {
            "reference": claim.reference,
            "recall": recall.title,
            "product": claim.product.name,
            "noun": recall.product_noun,
            "remedy": offer.label,
        }
        shipment = (
            claim.shipments.order_by("-created_at").first()
            if email.kind == K.REPLACEMENT_SHIPPED
            else None
        )
        issued_by = offer.issued_by if shipment else ""
        # The gift card's or voucher's code, read from the pool now, only in the email that
        # issues it: never in the outbox row, never in a log.
        remedy_code = (
            RemedyCode.objects.filter(claim=claim).values_list("code", flat=True).first()
            if issued_by == Issue.CODE
            else None
        )
        wants_proof = wants_disposal_proof(kind=email.kind, disposal_first=disposal_first)
        context = {
            "claim": claim,
            "recall": recall,
            "paragraphs": [str(p) % names for p in paragraphs],
            "note": email.event.note if email.event else "",
            "status_url": status_url,
            "shipment": shipment if issued_by == Issue.SHIPMENT else None,
            "remedy_code": remedy_code,
            "tracking_url": tracking_url(
                carrier=shipment.carrier, tracking_number=shipment.tracking_number, recall=recall
            )
            if shipment
            else "",
            "wants_proof": wants_proof,
            **verification_context(email),
        }
        subject = str(subject_text) % names
        text = render_to_string("emails/message.txt", context)
        html = render_to_string("emails/message.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email.recipient or claim.email],
    )
    message.attach_alternative(html, "text/html")
    return message


# Recall managers are company staff: their warnings are in English.
STAFF_LANGUAGE = "en"


def compose_code_pool_low(email: OutboundEmail) -> EmailMultiAlternatives:
    """The warning to a recall manager that a pool of codes runs low (context: recall, remedy)."""
    recall = Recall.objects.get(pk=email.context["recall"])
    remedy = email.context["remedy"]
    left = RemedyCode.objects.filter(recall=recall, remedy=remedy, claim__isnull=True).count()
    with translation.override(STAFF_LANGUAGE):
        names = {"recall": recall.title, "remedy": Remedy(remedy).label, "left": left}
        subject = (
            _("No %(remedy)s codes left for %(recall)s")
            if left == 0
            else _("%(left)d %(remedy)s codes left for %(recall)s")
        ) % names
        page = settings.SITE_URL + reverse(
            "workspace:remedy_codes", kwargs={"slug": recall.slug, "remedy": remedy}
        )
        lines = [
            str(_("The pool of %(remedy)s codes of %(recall)s has %(left)d codes left.") % names),
            str(
                _(
                    "Claims that find it empty wait for a code, and are issued one as soon as you "
                    "import more: %(page)s"
                )
                % {"page": page}
            ),
        ]
        footer = render_to_string("emails/_verification.txt", verification_context(email))
    return EmailMultiAlternatives(
        subject=str(subject), body="\n\n".join(lines) + footer, to=[email.recipient]
    )


# The claim emails: each kind of CONTENT, rendered by compose_claim_email.
for _kind in CONTENT:
    email_kind_register(kind=_kind, label=K(_kind).label, composer=compose_claim_email)
email_kind_register(
    kind=K.CODE_POOL_LOW, label=K.CODE_POOL_LOW.label, composer=compose_code_pool_low
)
