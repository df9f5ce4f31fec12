"""Claims, their photos and their append-only event log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The statuses and which of them free the serial are declared with the claim's life.
from recallcases.claims.lifecycle import RELEASED_STATUSES, ClaimStatus
from recallcases.claims.tokens import new_disposal_code
from recallcases.recalls.models import Country, Product, Recall, Remedy


class Language(models.TextChoices):
    # Each language in its own words, as language pickers show them.
    ENGLISH = "en", "English"
    FRENCH = "fr-ca", "Français"


class Claim(models.Model):
    """One consumer's request for the remedy for one unit (one serial number)."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="claims")
    # The product the consumer said they have; the registry's answer is `registry_product`.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="claims")
    registry_product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reference = models.CharField(max_length=9, unique=True, editable=False)
    access_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # When staff revoked the link shown at filing (claim_links_revoke); None while it works. Kept,
    # not blanked, so the trail of which link stopped when stays true.
    access_token_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=32, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED, editable=False
    )
    # Incremented by every transition, so a page acting on an older version can be refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Written on the recalled unit with the date and RECALLED in its disposal photo.
    disposal_code = models.CharField(
        max_length=9, unique=True, default=new_disposal_code, editable=False
    )

    serial = models.CharField(max_length=40, help_text="As normalised for the registry.")
    serial_as_typed = models.CharField(max_length=80)

    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=2, help_text="State or province code.")
    postal_code = models.CharField(max_length=10)
    country = models.CharField(max_length=2, choices=Country.choices)
    # The address reduced to compare claims: many claims to one address is a signal for reviewers.
    address_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    # A throwaway address (a signal for reviewers), decided when the claim is filed.
    email_disposable = models.BooleanField(default=False, editable=False)

    purchase_date = models.DateField(null=True, blank=True)
    order_number = models.CharField(max_length=40, blank=True)
    consented_at = models.DateTimeField()
    privacy_notice_version = models.CharField(max_length=20)

    # The retention schedule (claims/retention.py): when the personal details were removed, and
    # when the photos were deleted; None while they are kept.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    photos_removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The dates the reports count by, kept by the database from the claim's events and shipments
    # (migration 0009's triggers; `manage.py claim_figures_rebuild` recomputes them): the first
    # "replacement shipped" event, the first recorded shipment, the first "disposal confirmed"
    # event. Never written by Django: a report reads them instead of every claim's events.
    first_shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_shipment_at = models.DateTimeField(null=True, blank=True, editable=False)
    disposal_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open claim per serial per recall; a rejected or withdrawn claim frees the serial.
            models.UniqueConstraint(
                fields=["recall", "serial"],
                condition=~models.Q(status__in=RELEASED_STATUSES),
                name="one_open_claim_per_serial",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ClaimStatus.values), name="claim_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="claim_queue"),
            # The queue's default order over every status: oldest first.
            models.Index(fields=["created_at", "id"], name="claim_age"),
            models.Index(fields=["recall", "serial"], name="claim_serial"),
            models.Index(fields=["email"], name="claim_email"),
            # The queue's search by serial across recalls (claim_serial needs the recall first).
            models.Index(fields=["serial"], name="claim_serial_any_recall"),
        ]
        permissions = [
            ("verify_claim", "Can verify or reject claims and ask for information"),
            ("approve_replacement", "Can approve a replacement"),
            ("record_shipment", "Can record a replacement's shipment"),
            ("review_disposal", "Can accept or refuse disposal proof"),
            ("close_claim", "Can close a claim"),
            ("reopen_claim", "Can reopen a rejected or withdrawn claim"),
            ("view_claim_photos", "Can see claim photos"),
            ("view_shipping_details", "Can see consumers' contact and shipping details"),
        ]

    def __str__(self):
        return self.reference


class ClaimLink(models.Model):
    """A further private status link of a claim, sent in an email; only its hash is kept.

    The first link is shown once when the claim is filed (Claim.access_token_hash); every email
    carries a link of its own, so that no secret needs to be kept in a readable form.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When staff revoked it (claim_links_revoke); None while it works.
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"link of {self.claim}"


class PhotoKind(models.TextChoices):
    SERIAL_LABEL = "serial_label", _("Serial number label")
    DISPOSAL = "disposal", _("Proof of disposal")


def _photo_name(kind: str) -> str:
    # Random names: nothing in a file name reveals the claim, the consumer or the order of uploads.
    return f"claims/{kind}/{uuid.uuid4().hex}.jpg"


class ClaimPhoto(models.Model):
    """A photo sent with a claim, re-encoded without metadata; never at a public URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=20, choices=PhotoKind.choices)
    image = models.FileField()
    thumbnail = models.FileField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source_format = models.CharField(max_length=10)
    # SHA-256 of the uploaded bytes: the same photo on two claims is a signal for reviewers.
    source_sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.claim}"


class Shipment(models.Model):
    """What fulfilment issued for a claim: the remedy, and how a replacement travels."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="shipments")
    remedy = models.CharField(max_length=20, choices=Remedy.choices, default=Remedy.REPLACEMENT)
    carrier = models.CharField(max_length=60)
    tracking_number = models.CharField(max_length=60)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"], name="unique_tracking_number"
            )
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class AppendOnlyError(Exception):
    pass


class ClaimEvent(models.Model):
    """One step of a claim's life: who, when, from which status to which, and why. Never edited."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # "consumer", "staff" or "system": who acted when `actor` is not a staff account.
    actor_kind = models.CharField(max_length=10)
    from_status = models.CharField(max_length=32, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=ClaimStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # When a claim first reached a status (the reports' remedied and disposal dates).
            models.Index(fields=["claim", "to_status", "created_at"], name="claim_event_reached")
        ]

    def __str__(self):
        return f"{self.claim}: {self.from_status or '-'} → {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Claim events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Claim events are never deleted.")


class ClaimTally(models.Model):
    """Claims counted by recall, product, country, status, remedied and disposal confirmed.

    Rows of +1 and -1 written by the database on every change of a claim (migration 0009's
    trigger, PostgreSQL only): a change of status is a row out of the old group and a row into the
    new one, so writers never wait on a shared counter. Summed when read; merged into one row per
    group by `claims.tasks.claim_tallies_compact`; rebuilt by `claim_figures_rebuild`.
    """

    recall_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    country = models.CharField(max_length=2)
    status = models.CharField(max_length=32)
    remedied = models.BooleanField()
    disposal_confirmed = models.BooleanField()
    claims = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["recall_id"], name="claim_tally_recall")]

    def __str__(self):
        return f"{self.status} {self.country} {self.claims:+d}"


class DayMetric(models.TextChoices):
    FILED = "filed"  # created_at
    REMEDIED = "remedied"  # the first shipped step, else the first shipment
    DISPOSAL = "disposal"  # the first "disposal confirmed" step


class ClaimDayTally(models.Model):
    """Claims counted by recall, country and the day (UTC, the site's time zone) on which they
    were filed, remedied and had their disposal confirmed: kept like `ClaimTally`."""

    recall_id = models.BigIntegerField()
    country = models.CharField(max_length=2)
    day = models.DateField()
    metric = models.CharField(max_length=10, choices=DayMetric.choices)
    claims = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["recall_id", "metric", "day"], name="claim_day_tally")]

    def __str__(self):
        return f"{self.metric} {self.day} {self.country} {self.claims:+d}"
