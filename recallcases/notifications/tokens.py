"""The verification code every message carries, for the consumer to check that we sent it."""

import secrets

# No 0/O, 1/I/L, 5/S or 2/Z: a code read aloud or copied from a phone's screen stays one code.
VERIFICATION_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
VERIFICATION_LENGTH = 8


def new_verification_code() -> str:
    """A random code of VERIFICATION_LENGTH characters of the unambiguous alphabet.

    Not unique: two messages may share one (about one in 3·10^11 per pair); the page then names
    both, which is still true. A guess finds a real code about once in 280,000 tries at a
    million messages, and the page is rate-limited and says nothing personal."""
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_LENGTH))


def verification_code_shown(code: str) -> str:
    """The code as messages print it: two groups of four, "ABCD-EFGH"."""
    half = VERIFICATION_LENGTH // 2
    return f"{code[:half]}-{code[half:]}" if code else ""


def verification_code_normalise(typed: str) -> str:
    """What a consumer typed, as stored: upper case, without spaces, dashes or other marks."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())
