"""Django's SMTP backend, reading an address for the envelope in microseconds instead of a fifth
of a millisecond.

Django parses the sender and each recipient of every message with the email package's header
parser (`prep_address`): two parses a message, 0.2 ms each, an eighth of a notice batch's time
per message beside the SMTP exchange itself (`bench/reports_and_notices.py`). An address that is
a plain addr-spec (dot-atoms of ASCII on both sides of one @: what the claim form and the
purchaser import keep) is its own addr-spec, so it is returned as it is; anything else (a display
name, quotes, comments, a non-ASCII domain, a line break) goes through Django's parse, which
refuses what must be refused. The sender, the same for every message, is parsed once.
"""

import re

from django.core.mail.backends import smtp

# RFC 5322's dot-atom on both sides of the @: no space, quote, bracket, comma, control character
# or non-ASCII letter, no empty atom. Django's parse finds no defect in such an address and
# returns it unchanged (tests/properties/test_mail_addresses.py holds the two side by side).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_SENDERS_KEPT = 16


class EmailBackend(smtp.EmailBackend):
    """`django.core.mail.backends.smtp.EmailBackend`, with a quicker `prep_address`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepared: dict[tuple[str, bool], str] = {}

    def prep_address(self, address, force_ascii=True):
        if isinstance(address, str) and _PLAIN_ADDRESS.fullmatch(address):
            return address
        key = (address, force_ascii)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super().prep_address(address, force_ascii)
            if len(self._prepared) >= _SENDERS_KEPT:
                self._prepared.clear()
            self._prepared[key] = prepared
        return prepared
