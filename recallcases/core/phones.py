"""Phone numbers as a text provider wants them, E.164 ("+15145550199"), from what people type."""

import re

_DIGITS = re.compile(r"[0-9]")
# The North American Numbering Plan: the countries the recalls serve (US, CA) share it.
_NANP = {"US", "CA"}


def phone_e164(raw: str, *, country: str) -> str | None:
    """The number in E.164, or None when it cannot be one.

    A number typed with its "+" and country code is taken as it is (8 to 15 digits); without it,
    a North American number is 10 digits (area code first), or 11 starting with 1.
    """
    raw = (raw or "").strip()
    digits = "".join(_DIGITS.findall(raw))
    if raw.startswith("+"):
        return f"+{digits}" if 8 <= len(digits) <= 15 else None
    if country in _NANP:
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        # An area code and an exchange never start with 0 or 1.
        if len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01":
            return f"+1{digits}"
    return None
