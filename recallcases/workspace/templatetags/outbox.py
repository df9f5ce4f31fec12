"""How the outbox's rows read on staff pages."""

import re

from django import template

register = template.Library()

# An error as the outbox stored it before it kept only the error's class and SMTP codes
# (notifications.services.error_summary): "SMTPRecipientsRefused: {'jordan@example.com': ...}".
_ERROR_WITH_TEXT = re.compile(r"^(?P<name>[A-Za-z_][\w.]*): ")


@register.filter
def email_error(text: str) -> str:
    """The stored error as staff read it: an older row's error shows its class, not its text."""
    match = _ERROR_WITH_TEXT.match(text or "")
    return match["name"] if match else text
