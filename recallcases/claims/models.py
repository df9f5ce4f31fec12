"""Claims, their photos and their append-only event log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The statuses and which of them free the serial are declared with the claim's life.
from recallcases.claims.lifecycle import RELEASED_STATUSES, ClaimStatus
from recallcases.claims.tokens import new_disposal_code
from recallcases.recalls.models import Country, Product, ProofItem, Recall, Remedy


class Language(models.TextChoices):
    # Each language in its own words, as language pickers show them.
    ENGLISH = "en", "English"
    FRENCH = "fr-ca", "Français"
    SPANISH = "es-us", "Español"


class Channel(models.TextChoices):
    # You filed the claim on the claim form.
    WEB = "web", _("Web")
    # A call-centre agent filed it for you while you were on the phone (the first event names them).
    PHONE = "phone", _("Phone")


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
    # The remedy the consumer chose among the recall's offers (its only one when it offers one);
    # the consumer may change it until it is approved, staff with a note until it is issued.
    remedy = models.CharField(
        max_length=20, choices=Remedy.choices, default=Remedy.REPLACEMENT, editable=False
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
    # How the claim came in: the claim form, or a call-centre agent on the phone.
    channel = models.CharField(
        max_length=5, choices=Channel.choices, default=Channel.WEB, editable=False
    )
    # The mobile number status texts go to (E.164) and when the consumer asked for them; empty
    # and None: no texts. A number that replied STOP gets none (notifications.TextOptOut).
    text_number = models.CharField(max_length=16, blank=True, editable=False)
    text_opt_in_at = models.DateTimeField(null=True, blank=True, editable=False)

    purchase_date = models.DateField(null=True, blank=True)
    order_number = models.CharField(max_length=40, blank=True)
    consented_at = models.DateTimeField()
    privacy_notice_version = models.CharField(max_length=20)

    # The retention schedule (claims/retention.py): when the personal details were removed, and
    # when the photos were deleted; None while they are kept.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    photos_removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The dates the reports count by, kept by the database from the claim's events and shipments
    # (migration 0013's triggers; `manage.py claim_figures_rebuild` recomputes them): the first
    # "replacement shipped" event, the first recorded shipment, the first "disposal confirmed"
    # event. Never written by Django: a report reads them instead of every claim's events.
    first_shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_shipment_at = models.DateTimeField(null=True, blank=True, editable=False)
    disposal_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Every status the claim ever reached (its events' `to_status`), sorted, separated by spaces:
    # kept like the dates above, on PostgreSQL only (migration 0015), for the promised dates'
    # tallies (ClaimPromiseTally). Empty elsewhere. Sorted by code point ("C" collation).
    reached = models.CharField(max_length=500, blank=True, db_default="", editable=False)
    # Whether a purchaser of the recall has the claim's serial or email (notices.Purchaser): kept
    # by the database on PostgreSQL only (migration 0015, as the claims and the purchasers are
    # written), for the tallies' count of claims not on the purchaser list. False elsewhere.
    on_list = models.BooleanField(db_default=False, editable=False)

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
            ("record_shipment", "Can record a replacement's shipment or a refund's payment"),
            ("review_disposal", "Can accept or refuse disposal proof"),
            ("close_claim", "Can close a claim"),
            ("reopen_claim", "Can reopen a rejected or withdrawn claim"),
            ("view_claim_photos", "Can see claim photos"),
            ("view_shipping_details", "Can see consumers' contact and shipping details"),
            ("change_claim_remedy", "Can change the remedy a consumer chose"),
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
    # The label photo of a claim whose recall lists no proof items of its own.
    SERIAL_LABEL = "serial_label", _("Serial number label")
    # A photo of one of the recall's proof items (ClaimPhoto.proof_item says which).
    PROOF = "proof", _("Proof photo")
    DISPOSAL = "disposal", _("Proof of disposal")


def _photo_name(kind: str) -> str:
    # Random names: nothing in a file name reveals the claim, the consumer or the order of uploads.
    return f"claims/{kind}/{uuid.uuid4().hex}.jpg"


class ClaimPhoto(models.Model):
    """A photo sent with a claim, re-encoded without metadata; never at a public URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=20, choices=PhotoKind.choices)
    # Which of the recall's proof items this photo is (kind PROOF only).
    proof_item = models.ForeignKey(
        ProofItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=PhotoKind.PROOF, proof_item__isnull=False)
                | (~models.Q(kind=PhotoKind.PROOF) & models.Q(proof_item__isnull=True)),
                name="claim_photo_proof_item_iff_proof",
            )
        ]

    def __str__(self):
        return f"{self.label} of {self.claim}"

    @property
    def label(self) -> str:
        """What the photo is, in the active language: its proof item's label, or its kind."""
        return self.proof_item.label if self.proof_item_id else self.get_kind_display()


class ClaimPhotoView(models.Model):
    """A staff member opened a claim photo (its full image): the proof a step that needs the
    photo seen (lifecycle `Step.needs_photos_seen`) asks of the one who takes it."""

    photo = models.ForeignKey(ClaimPhoto, on_delete=models.CASCADE, related_name="views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["photo", "user"], name="one_view_row_per_photo_user")
        ]

    def __str__(self):
        return f"{self.photo_id} seen by {self.user_id}"


class Shipment(models.Model):
    """What fulfilment issued for a claim: the remedy, and how it travels.

    A shipped remedy has its carrier and tracking number; a refund has its payment's reference as
    `tracking_number` and no carrier; a gift card or voucher has neither (its code is the claim's
    RemedyCode). `recorded_by` is empty when the system issued it (a code from the pool).
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="shipments")
    remedy = models.CharField(max_length=20, choices=Remedy.choices, default=Remedy.REPLACEMENT)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~models.Q(tracking_number=""),
                name="unique_tracking_number",
            )
        ]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class RemedyCode(models.Model):
    """A gift card or voucher code of a recall's pool, imported by its manager, issued once.

    The code is read only by the email that sends it to the consumer; staff pages show its last
    four characters. A code is issued to one claim at most (`claim`), and never taken back.
    """

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="+")
    remedy = models.CharField(max_length=20, choices=Remedy.choices)
    code = models.CharField(max_length=100)
    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="remedy_code"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "remedy", "code"], name="remedy_code_once")
        ]
        indexes = [
            # The pool's next free code (claim IS NULL), oldest first.
            models.Index(
                fields=["recall", "remedy", "id"],
                condition=models.Q(claim__isnull=True),
                name="remedy_code_free",
            )
        ]
        permissions = [("import_remedy_codes", "Can import gift card and voucher codes")]

    def __str__(self):
        return f"…{self.last4}"

    @property
    def last4(self) -> str:
        """What staff see of the code."""
        return self.code[-4:]


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
            models.Index(fields=["claim", "to_status", "created_at"], name="claim_event_reached"),
            # The claims that reached a status, read whole (index only) by the claims past a
            # promised date (claims_overdue): the dashboard's overdue count at 69,000 claims.
            models.Index(fields=["to_status", "claim"], name="claim_event_by_status"),
        ]

    def __str__(self):
        return f"{self.claim}: {self.from_status or '-'} → {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Claim events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Claim events are never deleted.")


class CallReason(models.TextChoices):
    STATUS = "status", _("Where is my claim?")
    NEW_CLAIM = "new_claim", _("File a claim")
    AFFECTED = "affected", _("Is my unit affected?")
    DISPOSAL = "disposal", _("How to dispose of the unit")
    DETAILS = "details", _("Change of contact details")
    OTHER = "other", _("Something else")


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    CLAIM_FILED = "claim_filed", _("Claim filed")
    NOT_AFFECTED = "not_affected", _("Unit not affected")
    FOLLOW_UP = "follow_up", _("Needs a follow-up by staff")


class CallLog(models.Model):
    """One phone call a call-centre agent took: why the caller called and how it ended.

    About a claim, or not (an "is my unit affected?" call); the reports count them as the
    consumers who contacted the firm by phone. No free text: what a caller says stays off record.
    """

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="calls")
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="calls", null=True, blank=True
    )
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=CallReason.choices)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason__in=CallReason.values), name="call_reason_known"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=CallOutcome.values), name="call_outcome_known"
            ),
        ]
        permissions = [
            ("take_calls", "Can take calls: find a claim, file one for a caller, log the call"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.get_outcome_display()}"


class ClaimTally(models.Model):
    """Claims counted by recall, product, country, status, remedy, remedied, disposal confirmed and
    on the purchaser list.

    Rows of +1 and -1 written by the database on every change of a claim (migration 0013's
    trigger, PostgreSQL only): a change of status is a row out of the old group and a row into the
    new one, so writers never wait on a shared counter. Summed when read; merged into one row per
    group by `claims.tasks.claim_tallies_compact`; rebuilt by `claim_figures_rebuild`.
    """

    recall_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    country = models.CharField(max_length=2)
    status = models.CharField(max_length=32)
    remedy = models.CharField(max_length=20)
    remedied = models.BooleanField()
    disposal_confirmed = models.BooleanField()
    on_list = models.BooleanField(default=False)  # Claim.on_list
    claims = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["recall_id"], name="claim_tally_recall")]

    def __str__(self):
        return f"{self.status} {self.country} {self.claims:+d}"


class ClaimPromiseTally(models.Model):
    """Claims counted by recall, day filed (UTC), status, statuses reached (`Claim.reached`) and
    day remedied (NULL: not remedied): what the promised dates are counted from (the claims past
    one now, the share shipped on time by week), at any number of claims. Kept like `ClaimTally`
    (migration 0015's trigger, PostgreSQL only)."""

    recall_id = models.BigIntegerField()
    filed_on = models.DateField()
    status = models.CharField(max_length=32)
    reached = models.CharField(max_length=500)
    remedied_on = models.DateField(null=True)
    claims = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["recall_id"], name="claim_promise_tally_recall")]

    def __str__(self):
        return f"{self.status} {self.filed_on} {self.claims:+d}"


class DayMetric(models.TextChoices):
    FILED = "filed"  # created_at
    REMEDIED = "remedied"  # the first shipped step, else the first shipment
    DISPOSAL = "disposal"  # the first "disposal confirmed" step


class ClaimDayTally(models.Model):
    """Claims counted by recall, country, channel, remedy and the day (UTC, the site's time zone)
    on which they were filed, remedied and had their disposal confirmed: kept like `ClaimTally`."""

    recall_id = models.BigIntegerField()
    country = models.CharField(max_length=2)
    channel = models.CharField(max_length=5)
    remedy = models.CharField(max_length=20)
    day = models.DateField()
    metric = models.CharField(max_length=10, choices=DayMetric.choices)
    claims = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["recall_id", "metric", "day"], name="claim_day_tally")]

    def __str__(self):
        return f"{self.metric} {self.day} {self.country} {self.claims:+d}"
