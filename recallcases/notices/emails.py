"""The recall notice and its reminder, rendered when sent, in the purchaser's language."""

import binascii
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from recallcases.notices.models import NoticeEmail, Purchaser
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
    """A recall notice: its List-Unsubscribe header stays on one line, however long its URL.

    A notice of a batch (compose_notices) carries the headers of its kind of notice made once
    (`skeleton`); for the SMTP backend its bytes are those headers with its own values, and its
    two parts encoded in C (quoted-printable), not a MIME tree built and folded in Python for each
    message (which cost more than sending it). Any other reader (a provider's API, the console,
    tests) gets the message the email package builds, with the same content.
    """

    skeleton: "_Skeleton | None" = None

    def message(self, *, policy=email.policy.default):
        if self.skeleton is not None and policy is email.policy.SMTP:
            data = self.skeleton.fill(self)
            if data is not None:
                return _Serialised(data)
        message = super().message(policy=policy)
        value = message.get("List-Unsubscribe")
        if value is not None and len(value) + len("List-Unsubscribe: ") <= _MAX_LINE:
            del message["List-Unsubscribe"]
            message.set_raw("List-Unsubscribe", _OneLineHeader("List-Unsubscribe", str(value)))
        return message


class _Serialised:
    """A message already in bytes: what the SMTP backend asks of `message()`."""

    def __init__(self, data: bytes):
        self.data = data

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.data

    def as_string(self, *args, **kwargs) -> str:
        return self.data.decode("ascii")


# Header values put in a skeleton, and replaced in each message by its own (all ASCII).
_TO = "to@stand-in.invalid"
_MESSAGE_ID = "<message-id@stand-in.invalid>"
_DATE = "Mon, 01 Jan 2001 00:00:00 +0000"
_UNSUBSCRIBE = "http://stand-in.invalid/unsubscribe"
_PART = (
    b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)


def _quoted_printable(text: str) -> bytes:
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True)


@dataclass(frozen=True)
class _Skeleton:
    """The top-level headers of a kind of notice (subject, sender, ...), made by the email
    package once, with stand-ins for each message's own values, and its MIME boundary."""

    head: bytes
    boundary: bytes

    @classmethod
    def make(cls, subject: str) -> "_Skeleton | None":
        stand_in = NoticeMessage(
            subject=subject,
            body="",
            to=[_TO],
            headers=_unsubscribe_headers(_UNSUBSCRIBE) | {"Message-ID": _MESSAGE_ID, "Date": _DATE},
        )
        stand_in.attach_alternative("", "text/html")
        raw = stand_in.message(policy=email.policy.SMTP).as_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        found = re.search(rb'boundary="([^"]+)"', head)
        stand_ins = (_TO, _MESSAGE_ID, _DATE, _UNSUBSCRIBE)
        if not found or any(head.count(value.encode()) != 1 for value in stand_ins):
            return None  # not the shape expected: every message is built in full
        return cls(head=head, boundary=found.group(1))

    def fill(self, message: NoticeMessage) -> bytes | None:
        """The message's bytes, or None when its values need the email package (non-ASCII)."""
        (html, _mimetype), *others = message.alternatives
        unsubscribe = message.extra_headers["List-Unsubscribe"][1:-1]
        values = [*message.to, message.extra_headers["Message-ID"], unsubscribe]
        if (
            len(message.to) != 1
            or others
            or not all(v.isascii() and v.isprintable() for v in values)
        ):
            return None
        date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        head = (
            self.head.replace(_TO.encode(), message.to[0].encode())
            .replace(_MESSAGE_ID.encode(), message.extra_headers["Message-ID"].encode())
            .replace(_DATE.encode(), date.encode())
            .replace(_UNSUBSCRIBE.encode(), unsubscribe.encode())
        )
        separator = b"\r\n--" + self.boundary
        return b"".join(
            (
                head,
                separator,
                b"\r\n",
                _PART % b"plain",
                _quoted_printable(message.body),
                separator,
                b"\r\n",
                _PART % b"html",
                _quoted_printable(html),
                separator,
                b"--\r\n",
            )
        )


def compose_notice(email: OutboundEmail) -> EmailMultiAlternatives:
    """The recall notice (or its reminder) for the purchaser the outbox row names.

    It says what the recall is, the danger, what to do now, the remedy, where the recall's page
    is, whom to ask, and how to stop these emails: a link in the text, and the List-Unsubscribe
    headers with which mail clients offer one-click unsubscribing (RFC 8058).
    """
    purchaser = Purchaser.objects.select_related("recall", "product").get(emails__email=email)
    if purchaser.unsubscribed_at is not None:
        raise NoticeNotWanted(f"purchaser {purchaser.pk} unsubscribed")
    reminder = email.kind == EmailKind.NOTICE_REMINDER
    with translation.override(purchaser.language):
        recall_url, unsubscribe_url = _urls(purchaser)
        context = _context(
            purchaser, reminder, recall_url, unsubscribe_url, verification_context(email)
        )
        subject = _subject(purchaser.recall, reminder)
        text = render_to_string("emails/recall_notice.txt", context)
        html = render_to_string("emails/recall_notice.html", context)
    return _message(email, purchaser, subject, text, html, unsubscribe_url)


def compose_notices(emails: Sequence[OutboundEmail]) -> list[EmailMultiAlternatives | Exception]:
    """The messages compose_notice makes for `emails`, made for a batch: for each, its message
    or the error (NoticeNotWanted, ...) that compose_notice would raise.

    The purchasers are read in one query, and each template is rendered once per language,
    recall, product and shape of the purchaser's data (a name, an order number, a serial or
    not), with stand-ins that escaping leaves as they are; each message puts its purchaser's
    values in their place, escaped in the HTML as the template escapes them. The messages are
    the same as compose_notice's (a test compares them).
    """
    purchasers = {
        notice.email_id: notice.purchaser
        for notice in NoticeEmail.objects.filter(
            email__in=[row.pk for row in emails]
        ).select_related("purchaser__recall", "purchaser__product")
    }
    rendered: dict[tuple, tuple] = {}
    urls: dict[tuple, tuple[str, str]] = {}
    messages: list = []
    for row in emails:
        purchaser = purchasers.get(row.pk)
        if purchaser is None:
            messages.append(Purchaser.DoesNotExist(f"no purchaser for email {row.pk}"))
            continue
        if purchaser.unsubscribed_at is not None:
            messages.append(NoticeNotWanted(f"purchaser {purchaser.pk} unsubscribed"))
            continue
        reminder = row.kind == EmailKind.NOTICE_REMINDER
        with translation.override(purchaser.language):
            # The two links, reversed once per language and recall; only the token differs.
            links = (purchaser.language, purchaser.recall_id)
            if links not in urls:
                urls[links] = _urls(purchaser, token=_LINK_STAND_IN)
            verification = verification_context(row)
            recall_url, unsubscribe_link = urls[links]
            unsubscribe_url = unsubscribe_link.replace(
                _LINK_STAND_IN, unsubscribe_token(purchaser_id=purchaser.pk)
            )
            key = (
                purchaser.language,
                purchaser.recall_id,
                purchaser.product_id,
                reminder,
                bool(purchaser.name),
                bool(purchaser.order_number),
                bool(purchaser.serial),
                bool(verification["verification_code"]),
            )
            if key not in rendered:
                stand_in = _StandIn(
                    name=_STAND_INS["name"] if purchaser.name else "",
                    order_number=_STAND_INS["order_number"] if purchaser.order_number else "",
                    serial=_STAND_INS["serial"] if purchaser.serial else "",
                    language=purchaser.language,
                )
                shown = {
                    **verification,
                    "verification_code": _STAND_INS["verification_code"]
                    if verification["verification_code"]
                    else "",
                }
                context = _context(
                    purchaser,
                    reminder,
                    recall_url,
                    _STAND_INS["unsubscribe_url"],
                    shown,
                    stand_in,
                )
                subject = _subject(purchaser.recall, reminder)
                rendered[key] = (
                    subject,
                    render_to_string("emails/recall_notice.txt", context),
                    render_to_string("emails/recall_notice.html", context),
                    _Skeleton.make(subject),
                )
        subject, text, html, skeleton = rendered[key]
        values = {
            "name": purchaser.name,
            "order_number": purchaser.order_number,
            "serial": purchaser.serial,
            "unsubscribe_url": unsubscribe_url,
            "verification_code": verification["verification_code"],
        }
        for field, value in values.items():
            text = text.replace(_STAND_INS[field], value)
            html = html.replace(_STAND_INS[field], escape(value))
        message = _message(row, purchaser, subject, text, html, unsubscribe_url)
        message.skeleton = skeleton
        messages.append(message)
    return messages


# Characters of Unicode's private use area, which no purchaser's data holds and escaping keeps.
_STAND_INS = {
    field: f"\ue000{field}\ue001"
    for field in ("name", "order_number", "serial", "unsubscribe_url", "verification_code")
}


@dataclass(frozen=True)
class _StandIn:
    """What the notice's templates read of a purchaser, with stand-ins for their values."""

    name: str
    order_number: str
    serial: str
    language: str


def _urls(purchaser: Purchaser, token: str = "") -> tuple[str, str]:
    """The recall's page and the purchaser's unsubscribe link (with `token` if given)."""
    recall_url = settings.SITE_URL + reverse(
        "consumer:recall", kwargs={"slug": purchaser.recall.slug}
    )
    token = token or unsubscribe_token(purchaser_id=purchaser.pk)
    unsubscribe_url = settings.SITE_URL + reverse("notices:unsubscribe", kwargs={"token": token})
    return recall_url, unsubscribe_url


# Where the token goes in an unsubscribe link reversed once per language and recall.
_LINK_STAND_IN = "TOKEN-STAND-IN"


def _context(
    purchaser, reminder: bool, recall_url: str, unsubscribe_url: str, verification: dict, shown=None
) -> dict:
    return {
        "purchaser": shown or purchaser,
        "recall": purchaser.recall,
        "product": purchaser.product,
        "reminder": reminder,
        "recall_url": recall_url,
        "unsubscribe_url": unsubscribe_url,
        **verification,
    }


def _subject(recall, reminder: bool) -> str:
    return (
        _("Reminder of a safety recall: %(recall)s") if reminder else _("Safety recall: %(recall)s")
    ) % {"recall": recall.title}


def _unsubscribe_headers(unsubscribe_url: str) -> dict:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _message(email, purchaser, subject, text, html, unsubscribe_url) -> EmailMultiAlternatives:
    message = NoticeMessage(
        subject=subject,
        body=text,
        to=[email.recipient or purchaser.email],
        headers=_unsubscribe_headers(unsubscribe_url),
    )
    message.attach_alternative(html, "text/html")
    return message
