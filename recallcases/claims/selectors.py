"""Reading claims."""

from recallcases.claims.access import hash_access_token
from recallcases.claims.models import Claim


def claim_by_access_token(*, token: str) -> Claim | None:
    """The claim whose private link carries `token`, or None. Compares hashes only."""
    if not token or len(token) > 100:
        return None
    return (
        Claim.objects.select_related("recall", "product")
        .filter(access_token_hash=hash_access_token(token))
        .first()
    )
