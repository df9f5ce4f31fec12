"""Serial numbers as consumers type them and as registries store them (pure functions)."""

import re
import string
from dataclasses import dataclass

# Letters that some serial formats never use, and the digit a consumer most likely meant.
LETTER_LOOKALIKES = {"O": "0", "I": "1"}
# Spaces, dashes and dots people type or paste between groups of characters.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.·/]+")
_ALPHANUMERIC = re.compile(r"[A-Z0-9]+")
# Upper case for ASCII letters only: str.upper() turns ı into I, ſ into S, ß into SS and ﬁ into FI,
# which made serial characters of what no serial holds (and read ı as 1, "because it was an I").
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


@dataclass(frozen=True)
class NormalisedSerial:
    value: str
    # The letters read as digits, as (letter, digit) pairs, so the consumer can be told.
    letters_read_as_digits: tuple[tuple[str, str], ...] = ()

    @property
    def is_well_formed(self) -> bool:
        return bool(_ALPHANUMERIC.fullmatch(self.value))


def normalise_serial(raw: str, *, excluded_letters: str = "OI") -> NormalisedSerial:
    """Return the serial in canonical form: upper case, no separators, excluded letters as digits.

    Characters outside ASCII are kept as typed, so a serial holding one is not well formed.
    Only letters that the format never uses are changed (O to 0, I to 1 where O and I are
    excluded); other look-alikes (1/L, 2/Z) are valid characters and are left as typed.
    """
    value = _SEPARATORS.sub("", raw or "").translate(_ASCII_UPPER)
    replaced = []
    for letter in excluded_letters.upper():
        digit = LETTER_LOOKALIKES.get(letter)
        if digit and letter in value:
            value = value.replace(letter, digit)
            replaced.append((letter, digit))
    return NormalisedSerial(value=value, letters_read_as_digits=tuple(replaced))


@dataclass(frozen=True)
class SplitSerial:
    """A serial as a prefix and the number its trailing digits make."""

    prefix: str
    digits: int
    number: int


def split_serial(serial: str) -> SplitSerial:
    """Split a canonical serial into its prefix and its trailing digits as a number."""
    return SplitSerial(*serial_parts(serial))


def serial_parts(serial: str) -> tuple[str, int, int]:
    """`split_serial` as a plain tuple (prefix, digits, number): the registry import splits a
    million serials, and building a dataclass for each cost it more than the split."""
    prefix = serial.rstrip(string.digits)  # a canonical serial is ASCII letters and digits
    tail = serial[len(prefix) :]
    return prefix, len(tail), int(tail) if tail else 0
