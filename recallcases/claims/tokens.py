"""Claim references read over the phone, and the secret tokens of private status links."""

import base64
import hashlib
import secrets

from django.utils.crypto import salted_hmac

# No look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, and no U/V pair.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
REFERENCE_LENGTH = 8


# The spelling alphabet agents read a reference with (ICAO's, understood in English and French).
SPELLING = {
    "A": "Alpha", "C": "Charlie", "D": "Delta", "E": "Echo", "F": "Foxtrot", "G": "Golf",
    "H": "Hotel", "J": "Juliett", "K": "Kilo", "M": "Mike", "N": "November", "P": "Papa",
    "Q": "Quebec", "R": "Romeo", "T": "Tango", "W": "Whiskey", "X": "X-ray", "Y": "Yankee",
}  # fmt: skip


def reference_spelled(reference: str) -> str:
    """A reference as read over the phone: "K7MQ-4TXA" → "Kilo 7 Mike Quebec – 4 Tango X-ray
    Alpha"."""
    return " – ".join(
        " ".join(SPELLING.get(character, character) for character in group)
        for group in reference.split("-")
    )


def new_reference() -> str:
    """A random reference such as K7MQ-4TXA: 8 characters in two groups, easy to say and type."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


def new_disposal_code() -> str:
    """A random code the consumer writes on the recalled unit before photographing it."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(raw: str) -> str:
    """The reference as stored, from what someone typed or read out (case, spaces, dash)."""
    chars = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == REFERENCE_LENGTH else chars


def new_access_token() -> str:
    """A secret for a claim's private status link (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def derived_access_token(key: str) -> str:
    """A secret for a status link that is the same each time it is made for `key` (an email's
    Message-ID): an HMAC of `key` under the site's secret key, 256 bits, URL-safe. Whoever reads
    the database (and `key`) without the secret key cannot make it."""
    digest = salted_hmac("recallcases.claims.link", key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_access_token(token: str) -> str:
    """What the database keeps of a token: its SHA-256. A leaked database opens no claim."""
    return hashlib.sha256(token.encode()).hexdigest()
