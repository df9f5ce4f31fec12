"""The recall notice and its reminder, rendered when sent, in the purchaser's language."""

import email.policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from recallcases.notices.models import Purchaser
from recallcases.notices.tokens import unsubscribe_token
from recallcases.notifications.emails import verification_context
from recallcases.notifications.models import EmailKind, OutboundEmail


class NoticeNotWanted(Exception):
    """The purchaser unsubscribed after the notice was written: it must not go."""


# RFC 5322's limit for any line; a header longer than this is folded as usual.
_MAX_LINE = 998


class _OneLineHeader(str):
    """A header value that the email package writes on one line, as it is.

    Python folds a header longer than 78 characters that has no space to fold at (an unsubscribe
    URL in angle brackets) into RFC 2047 encoded words; mail clients do not decode those in
    List-Unsubscribe and offer no unsubscribe button. The email package writes a header object
    through its own `fold`, which here keeps the line whole.
    """

    def __new__(cls, name: str, value: str):
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


class NoticeMessage(EmailMultiAlternatives):
    """A recall notice: its List-Unsubscribe header stays on one line, however long its URL."""

    def message(self, *, policy=email.policy.default):
        message = super().message(policy=policy)
        value = message.get("List-Unsubscribe")
        if value is not None and len(value) + len("List-Unsubscribe: ") <= _MAX_LINE:
            del message["List-Unsubscribe"]
            message.set_raw("List-Unsubscribe", _OneLineHeader("List-Unsubscribe", str(value)))
        return message


def compose_notice(email: OutboundEmail) -> EmailMultiAlternatives:
    """The recall notice (or its reminder) for the purchaser the outbox row names.

    It says what the recall is, the danger, what to do now, the remedy, where the recall's page
    is, whom to ask, and how to stop these emails: a link in the text, and the List-Unsubscribe
    headers with which mail clients offer one-click unsubscribing (RFC 8058).
    """
    purchaser = Purchaser.objects.select_related("recall", "product").get(emails__email=email)
    if purchaser.unsubscribed_at is not None:
        raise NoticeNotWanted(f"purchaser {purchaser.pk} unsubscribed")
    recall = purchaser.recall
    with translation.override(purchaser.language):
        recall_url = settings.SITE_URL + reverse("consumer:recall", kwargs={"slug": recall.slug})
        unsubscribe_url = settings.SITE_URL + reverse(
            "notices:unsubscribe",
            kwargs={"token": unsubscribe_token(purchaser_id=purchaser.pk)},
        )
        reminder = email.kind == EmailKind.NOTICE_REMINDER
        context = {
            "purchaser": purchaser,
            "recall": recall,
            "product": purchaser.product,
            "reminder": reminder,
            "recall_url": recall_url,
            "unsubscribe_url": unsubscribe_url,
            **verification_context(email),
        }
        subject = (
            _("Reminder of a safety recall: %(recall)s")
            if reminder
            else _("Safety recall: %(recall)s")
        ) % {"recall": recall.title}
        text = render_to_string("emails/recall_notice.txt", context)
        html = render_to_string("emails/recall_notice.html", context)
    message = NoticeMessage(
        subject=subject,
        body=text,
        to=[email.recipient or purchaser.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
