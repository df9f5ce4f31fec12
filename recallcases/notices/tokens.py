"""The token of a purchaser's unsubscribe link: their id, signed with the site's secret key.

Signed rather than random-and-hashed (see Purchaser): every email carries the same working link,
derived when it is sent, and the database keeps no secret. The salt keeps these signatures from
being valid anywhere else the secret key signs something.
"""

from django.core import signing

_SALT = "recallcases.notices.unsubscribe"


def unsubscribe_token(*, purchaser_id: int) -> str:
    """The token for `purchaser_id`'s unsubscribe link (the same every time)."""
    return signing.Signer(salt=_SALT).sign(str(purchaser_id))


def purchaser_id_from_token(token: str) -> int | None:
    """The purchaser a token was made for, or None when it is not one of ours."""
    if not token or len(token) > 200:
        return None
    try:
        return int(signing.Signer(salt=_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
