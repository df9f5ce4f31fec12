"""What a status text says, in the consumer's language, and how it is sent (django-sms).

A text names the claim's reference, its status, the private status link and the message's
verification code (checked on /<lang>/verify/, like every email's), and nothing else: no name, no
product, no address. It goes to the claim's mobile number (Claim.text_number) only
while the consumer's opt-in stands and the number has not replied STOP.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from sms import Message, get_connection

from recallcases.claims.models import ClaimStatus
from recallcases.claims.services import claim_link_for
from recallcases.notifications.models import OutboundEmail, TextOptOut
from recallcases.notifications.tokens import verification_code_shown

TEXT = _(
    "Claim %(reference)s: %(status)s. Details: %(link)s Code: %(code)s. "
    "Reply STOP to stop these texts."
)


class TextNotWanted(Exception):
    """The consumer no longer wants texts (opted out, or replied STOP): the row is cancelled."""


def text_wanted(claim) -> bool:
    """Whether the claim's consumer asked for texts and their number has not replied STOP."""
    return bool(
        claim.text_opt_in_at
        and claim.text_number
        and claim.anonymised_at is None
        and not TextOptOut.objects.filter(number=claim.text_number).exists()
    )


def compose_text(row: OutboundEmail) -> str:
    """The text of an outbox row, rendered now in the claim's language, with its own link."""
    claim = row.claim
    with translation.override(claim.language):
        token = claim_link_for(claim=claim, key=row.message_id)
        link = settings.SITE_URL + reverse("consumer:claim_status", kwargs={"token": token})
        status = ClaimStatus(row.event.to_status if row.event else claim.status).label
        return str(TEXT) % {
            "reference": claim.reference,
            "status": status,
            "link": link,
            "code": verification_code_shown(row.verification_code or ""),
        }


def text_send(row: OutboundEmail) -> None:
    """Send one text through the configured backend; raises TextNotWanted, or the backend's
    error (the outbox retries it)."""
    claim = row.claim
    if claim is None or not text_wanted(claim):
        raise TextNotWanted
    message = Message(
        compose_text(row),
        settings.DEFAULT_FROM_SMS or None,
        [claim.text_number],
        connection=get_connection(),
    )
    if message.send() != 1:
        raise RuntimeError("the text backend sent nothing")
