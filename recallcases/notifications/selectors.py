"""Reading the outbox: whether a message with a given verification code is one we sent."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from recallcases.core.retention import months_before
from recallcases.notifications.emails import email_kind_label
from recallcases.notifications.models import Channel, EmailState, OutboundEmail
from recallcases.notifications.retention import emails_with_recall
from recallcases.notifications.tokens import (
    VERIFICATION_ALPHABET,
    VERIFICATION_LENGTH,
    verification_code_normalise,
)
from recallcases.recalls.models import Recall

# At most this many messages are named for one code (codes are not unique, but nearly).
MATCHES_SHOWN = 3


class VerificationAnswer(StrEnum):
    # We sent a message with this code, within its recall's email retention.
    SENT = "sent"
    # We sent one, longer ago than its recall keeps the record of its recipient: no longer said.
    EXPIRED = "expired"
    # No message we sent has this code: not from us (or mistyped).
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SentMessage:
    """What the page may say of a message we sent: nothing personal."""

    kind: str
    sent_at: datetime
    recall: Recall | None
    # The claim's reference, all but its last characters hidden; empty when about no claim.
    claim_reference_end: str
    # A status text (to the claim's mobile number) rather than an email.
    text: bool = False


@dataclass(frozen=True)
class MessageVerification:
    answer: VerificationAnswer
    messages: list[SentMessage]


def _retention_months(recall: Recall | None) -> int:
    if recall is not None:
        return recall.email_retention_months
    return Recall._meta.get_field("email_retention_months").default


def message_verification(*, code: str, now: datetime) -> MessageVerification:
    """Whether we sent a message carrying `code` (as the consumer typed it), and what of it may be
    said: its kind, when, the recall, the end of the claim's reference. A message older than its
    recall's `email_retention_months` is EXPIRED: its record no longer names whom it went to, and
    an old code is more likely to be copied into a fake. Two queries at most."""
    code = verification_code_normalise(code)
    if len(code) != VERIFICATION_LENGTH or any(ch not in VERIFICATION_ALPHABET for ch in code):
        return MessageVerification(VerificationAnswer.UNKNOWN, [])
    rows = list(
        emails_with_recall(
            OutboundEmail.objects.filter(verification_code=code, state=EmailState.SENT)
        )
        .select_related("claim")
        .only("kind", "channel", "sent_at", "claim__reference")
        .order_by("-sent_at")[:MATCHES_SHOWN]
    )
    recalls = Recall.objects.in_bulk({row.retention_recall_id for row in rows} - {None})
    current, expired = [], []
    for row in rows:
        recall = recalls.get(row.retention_recall_id)
        message = SentMessage(
            kind=email_kind_label(row.kind),
            sent_at=row.sent_at,
            recall=recall,
            claim_reference_end=row.claim.reference[-4:] if row.claim else "",
            text=row.channel == Channel.TEXT,
        )
        fresh = row.sent_at >= months_before(now, _retention_months(recall))
        (current if fresh else expired).append(message)
    if current:
        return MessageVerification(VerificationAnswer.SENT, current)
    if expired:
        return MessageVerification(VerificationAnswer.EXPIRED, [])
    return MessageVerification(VerificationAnswer.UNKNOWN, [])
