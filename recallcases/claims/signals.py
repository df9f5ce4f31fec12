"""Fraud signals for reviewers: what makes a claim worth a second look.

Not Django signals: these are the hints recall programs watch for (invented or reused serials, one
photo used for many claims, throwaway email addresses, many claims to one address).
"""

from disposable_email_domains import blocklist
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Claim, ClaimPhoto

# Three claims or more to one address is unusual for a speaker sold one or two to a household.
MANY_AT_ONE_ADDRESS = 3

# name → what the reviewer reads
SIGNALS = {
    "registry_mismatch": _("Serial not in the registry, or of another product"),
    "same_serial": _("Same serial on another claim"),
    "same_email": _("Same email on another claim"),
    "same_address": _("Same address on another claim"),
    "many_at_address": _("Many claims to one address"),
    "same_photo": _("Identical photo on another claim"),
    "disposable_email": _("Disposable email address"),
}


def is_disposable_email(email: str) -> bool:
    """Whether the address belongs to a known throwaway email service."""
    return email.rsplit("@", 1)[-1].strip().lower() in blocklist


def _other_claims(**same):
    return Claim.objects.filter(**{field: OuterRef(field) for field in same}).exclude(
        pk=OuterRef("pk")
    )


def with_signals(claims: QuerySet) -> QuerySet:
    """Annotate each claim with its signals (one boolean per name in SIGNALS), in the same query."""
    address_count = (
        Claim.objects.filter(address_key=OuterRef("address_key"))
        .values("address_key")
        .annotate(n=Count("pk"))
        .values("n")
    )
    photo_hashes = ClaimPhoto.objects.filter(claim=OuterRef(OuterRef("pk"))).values("source_sha256")
    return claims.annotate(
        registry_mismatch=ExpressionWrapper(
            Q(registry_product__isnull=True) | ~Q(registry_product=F("product")),
            output_field=BooleanField(),
        ),
        same_serial=Exists(_other_claims(recall=True, serial=True)),
        same_email=Exists(_other_claims(email=True)),
        same_address=Exists(_other_claims(address_key=True)),
        address_claims=Coalesce(Subquery(address_count, output_field=IntegerField()), Value(0)),
        many_at_address=ExpressionWrapper(
            Q(address_claims__gte=MANY_AT_ONE_ADDRESS), output_field=BooleanField()
        ),
        same_photo=Exists(
            ClaimPhoto.objects.filter(source_sha256__in=photo_hashes).exclude(claim=OuterRef("pk"))
        ),
        disposable_email=F("email_disposable"),
    )


def signals_of(claim) -> list[str]:
    """The readable signals of a claim annotated by `with_signals`."""
    return [label for name, label in SIGNALS.items() if getattr(claim, name, False)]


def filter_by_signal(claims: QuerySet, name: str) -> QuerySet:
    """Claims annotated by `with_signals` that raise the signal `name`."""
    if name not in SIGNALS:
        return claims
    return claims.filter(**{name: True})
