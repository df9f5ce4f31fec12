"""Reading purchasers: who was notified, who claimed, and the claims from owners not on the list."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from recallcases.claims.models import RELEASED_STATUSES, Claim
from recallcases.claims.selectors import claim_tallies, tallies_kept
from recallcases.notices.models import Purchaser
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.recalls.models import Recall
from recallcases.recalls.serials import normalise_serial

# The outbox kinds this app writes.
NOTICE_KINDS = (EmailKind.RECALL_NOTICE, EmailKind.NOTICE_REMINDER)


def _claims_that_count() -> QuerySet[Claim]:
    # A rejected or withdrawn claim brings no remedy: its purchaser has not claimed.
    return Claim.objects.exclude(status__in=RELEASED_STATUSES)


def purchaser_claimed() -> Q:
    """A condition on purchasers: a claim is open for their unit in the recall.

    Matched by the unit's serial when the list knows it (whoever claims it: a gift, a resale),
    else by the purchaser's email. Computed in SQL, so a list of purchasers costs one query.
    """
    by_serial = _claims_that_count().filter(
        recall_id=OuterRef("recall_id"), serial=OuterRef("serial")
    )
    by_email = _claims_that_count().filter(recall_id=OuterRef("recall_id"), email=OuterRef("email"))
    # An email removed by the retention schedule is blank, and matches nobody.
    return (~Q(serial="") & Q(Exists(by_serial))) | (
        Q(serial="") & ~Q(email="") & Q(Exists(by_email))
    )


def with_claimed(purchasers: QuerySet[Purchaser]) -> QuerySet[Purchaser]:
    """`purchasers` with `claimed` (bool) on each, in the same query."""
    return purchasers.annotate(
        claimed=ExpressionWrapper(purchaser_claimed(), output_field=BooleanField())
    )


def claims_not_on_list(recall: Recall) -> QuerySet[Claim]:
    """The recall's claims from owners not on the purchaser list (gifts, second-hand, unknown).

    A claim is on the list when a purchaser of the recall has its serial or its email; rejected
    and withdrawn claims are left out, as everywhere claims are counted here.
    """
    listed = Purchaser.objects.filter(recall=recall)
    # NOT IN over each list (hashed once) rather than correlated NOT EXISTS: PostgreSQL planned
    # the latter as a nested loop over every purchaser for each claim (minutes at 69,000 each).
    return (
        _claims_that_count()
        .filter(recall=recall)
        .exclude(serial__in=listed.exclude(serial="").values("serial"))
        .exclude(email__in=listed.exclude(email="").values("email"))
    )


def claims_not_on_list_count(recall: Recall) -> int:
    """How many `claims_not_on_list` the recall has: from the claim tallies, which count the
    claims by `Claim.on_list` (kept by the database as claims and purchasers are written), when
    the database keeps them; else counted. One query."""
    if not tallies_kept():
        return claims_not_on_list(recall).count()
    return sum(
        row["claims"]
        for row in claim_tallies(recall_id=recall.pk)
        if not row["on_list"] and row["status"] not in RELEASED_STATUSES
    )


@dataclass(frozen=True)
class NoticeCounts:
    purchasers: int = 0
    # Not notified yet, and reachable (not unsubscribed, no bounce): what "send" would write.
    to_notify: int = 0
    # A notice was written for them (sent, waiting to be sent, or failed).
    notified: int = 0
    pending: int = 0
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    reminded: int = 0
    claimed: int = 0
    # Claims from owners who are not on the list: counted apart.
    claims_not_on_list: int = 0


def notice_counts(recall: Recall) -> NoticeCounts:
    """Where direct notice of `recall` stands, in two queries whatever the list's size."""
    counts = Purchaser.objects.filter(recall=recall).aggregate(
        purchasers=Count("pk"),
        to_notify=Count(
            "pk",
            filter=Q(
                notice_email__isnull=True, unsubscribed_at__isnull=True, bounced_at__isnull=True
            ),
        ),
        notified=Count("pk", filter=Q(notice_email__isnull=False)),
        pending=Count("pk", filter=Q(notice_email__state=EmailState.PENDING)),
        sent=Count("pk", filter=Q(notice_email__state=EmailState.SENT)),
        failed=Count("pk", filter=Q(notice_email__state=EmailState.FAILED)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminders_sent__gt=0)),
        claimed=Count("pk", filter=purchaser_claimed()),
    )
    return NoticeCounts(**counts, claims_not_on_list=claims_not_on_list_count(recall))


def recalls_with_purchasers() -> QuerySet[Recall]:
    """Every recall with `purchaser_count`, for the workspace's list of recalls."""
    return Recall.objects.annotate(purchaser_count=Count("purchasers")).order_by(
        "-announced_on", "slug"
    )


# The states a list of purchasers can be filtered by: value → condition.
PURCHASER_STATES = {
    "not_notified": Q(notice_email__isnull=True),
    "pending": Q(notice_email__state=EmailState.PENDING),
    "sent": Q(notice_email__state=EmailState.SENT),
    "failed": Q(notice_email__state=EmailState.FAILED),
    "bounced": Q(bounced_at__isnull=False),
    "unsubscribed": Q(unsubscribed_at__isnull=False),
    "claimed": Q(claimed=True),
    "not_claimed": Q(claimed=False),
}


@dataclass(frozen=True)
class PurchaserFilters:
    state: str = ""
    country: str = ""
    language: str = ""
    search: str = ""


def purchaser_list(*, recall: Recall, filters: PurchaserFilters) -> QuerySet[Purchaser]:
    """The recall's purchasers for the staff list, filtered, each with `claimed`, in one query."""
    purchasers = with_claimed(
        Purchaser.objects.filter(recall=recall).select_related("product", "notice_email")
    )
    if filters.state in PURCHASER_STATES:
        purchasers = purchasers.filter(PURCHASER_STATES[filters.state])
    if filters.country:
        purchasers = purchasers.filter(country=filters.country)
    if filters.language:
        purchasers = purchasers.filter(language=filters.language)
    text = filters.search.strip()
    if text:
        purchasers = purchasers.filter(
            Q(email=text.lower())
            | Q(order_number=text)
            | Q(serial=normalise_serial(text).value)
            | Q(name__icontains=text)
        )
    return purchasers.order_by("pk")


def notices_due_soon(
    *, now: datetime, until: datetime, since: datetime, email_ids=None
) -> list[tuple[int, float]]:
    """Pending notices due between `since` and `until`: (id, seconds from `now` until due)."""
    rows = OutboundEmail.objects.filter(
        kind__in=NOTICE_KINDS,
        state=EmailState.PENDING,
        next_attempt_at__gte=since,
        next_attempt_at__lt=until,
    )
    if email_ids is not None:
        rows = rows.filter(pk__in=email_ids)
    return [
        (pk, max(0.0, (due - now).total_seconds()))
        for pk, due in rows.order_by("next_attempt_at", "pk").values_list("pk", "next_attempt_at")
    ]
