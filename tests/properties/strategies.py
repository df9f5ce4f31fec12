"""Hypothesis strategies and helpers the property tests share."""

import contextlib
import string

from django.db import transaction
from hypothesis import strategies as st

# The number of examples a test that writes to the database runs (the profile's is for pure ones).
DB_EXAMPLES = 25

# Characters a serial of the default format may hold: upper-case letters but O and I, and digits.
SERIAL_ALPHABET = "".join(c for c in string.ascii_uppercase if c not in "OI") + string.digits
SERIAL_LETTERS = "".join(c for c in SERIAL_ALPHABET if c.isalpha())

# What people type or paste between groups of characters, every one of which the reader skips.
SEPARATORS = [" ", "-", ".", "_", "/", "·", "\t", "\u00a0", "\u3000", "‐", "–", "—", "−"]

serials = st.text(alphabet=SERIAL_ALPHABET, min_size=16, max_size=16)

# Text of every kind: control characters, NUL, marks, other scripts' digits, surrogates excluded
# (a str from a browser never holds one).
any_text = st.text(st.characters(codec="utf-8"), max_size=200)

# Characters outside ASCII that people meet in pasted text: marks that steer direction or join,
# other scripts' digits, fullwidth forms, letters whose upper case is ASCII (ı ſ ß ﬁ).
AWKWARD = [
    "\u200f",  # right-to-left mark
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\x00",
    "０",
    "１",
    "Ａ",
    "٠",
    "١",
    "۱",
    "१",
    "ı",
    "ſ",
    "ß",
    "ﬁ",
    "K",  # Kelvin sign
    "Ⅰ",  # roman numeral one
]


def spread(text: str, fillers) -> st.SearchStrategy[str]:
    """`text` with a drawn filler (or nothing) before each character and at the end."""
    gaps = st.lists(st.one_of(st.just(""), fillers), min_size=len(text) + 1, max_size=len(text) + 1)
    return gaps.map(lambda gap: "".join(g + c for g, c in zip(gap, text, strict=False)) + gap[-1])


def any_case(text: str) -> st.SearchStrategy[str]:
    """`text` with each ASCII letter in either case."""
    flips = st.lists(st.booleans(), min_size=len(text), max_size=len(text))
    return flips.map(
        lambda f: "".join(c.lower() if flip else c for c, flip in zip(text, f, strict=True))
    )


class _RolledBack(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run the block in a savepoint and undo its writes: examples never see each other's data."""
    with contextlib.suppress(_RolledBack), transaction.atomic():
        yield
        raise _RolledBack
