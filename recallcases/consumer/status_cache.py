"""The status page's account of a claim (its progress, the notes for the consumer, the tracking
link, the photos' thumbnails), rendered once per state of the claim and language and kept in the
shared cache.

Reading it is three queries (the events, the shipments, the photos) and most of the page's
template work; a consumer comes back to a claim that changes a few times in its life (ADR 0010).
What the HTML depends on is in the entry's stamp, compared on each read: the claim's row (its
version, `updated_at` and retention's marks), the copy of its recall (`Recall.page_version`, see
recalls.selectors.recall_by_pk) and the day (a promised date passes); the key names the
database and the entry's shape. A save or delete of the claim, one of its events, shipments or
photos drops the entry (consumer.apps), now and again on commit; `STATUS_HTML_SECONDS` bounds
what a bulk `update()` would leave. The entry holds what any holder of the claim's link sees,
never a CSRF token, a form or anything of one browser; it is keyed by claim and language.
"""

from datetime import UTC

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from recallcases.claims.models import Claim
from recallcases.claims.timeline import consumer_timeline

STATUS_HTML_SECONDS = 300
# Changed whenever what is kept changes shape: an older release's entries are never shown.
_SHAPE = 1


def _key(claim_id: int, language: str) -> str:
    # The database's name: two sites sharing one Redis never read each other's claims.
    database = connections[router.db_for_read(Claim)].settings_dict["NAME"]
    return f"claim-status:{_SHAPE}:{database}:{claim_id}:{language}"


def claim_progress_html(claim: Claim) -> tuple[SafeString, SafeString]:
    """The claim's progress (steps, lateness, tracking, notes) and its photos, as HTML in the
    active language: from the cache when the claim, its recall and the day are the same."""
    # A recall not read through the cache (closed to new claims) has no name for its copy.
    recall_version = getattr(claim.recall, "page_version", None)
    key = _key(claim.pk, get_language())
    stamp = (
        recall_version,
        claim.version,
        claim.updated_at.isoformat(),
        # Retention writes these with a bulk update(), without a signal.
        claim.photos_removed_at,
        claim.anonymised_at,
        timezone.now().astimezone(UTC).date().isoformat(),
    )
    if recall_version is not None:
        kept = cache.get(key)
        if kept is not None and kept[0] == stamp:
            return mark_safe(kept[1]), mark_safe(kept[2])  # noqa: S308 (rendered below)
    progress = render_to_string(
        "consumer/claim_progress.html",
        {"claim": claim, "recall": claim.recall, "timeline": consumer_timeline(claim)},
    )
    photos = render_to_string(
        "consumer/claim_photos.html",
        # Each under its proof item's label: one query for all.
        {"photos": claim.photos.select_related("proof_item")},
    )
    if recall_version is not None:
        cache.set(key, (stamp, str(progress), str(photos)), STATUS_HTML_SECONDS)
    return progress, photos


def claim_progress_forget(*, claim_ids: list[int]) -> None:
    """Drop the kept HTML of the claims `claim_ids`, in every language: now, and again when the
    transaction commits, since a page may have kept the old rows in between."""
    keys = [_key(pk, code) for pk in claim_ids for code, _name in settings.LANGUAGES]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
