"""The email outbox: one row per message a consumer must receive, written with its cause."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Claim, ClaimEvent
from recallcases.notifications.tokens import new_verification_code


class EmailKind(models.TextChoices):
    """The kinds of email the apps send, and their labels for staff.

    Not the field's choices: a kind exists when a composer is registered for it
    (`notifications.emails.email_kind_register`), so an app adds one without a migration here.
    """

    RECEIVED = "received", _("Claim received")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    VERIFIED = "verified", _("Claim verified")
    # The remedy the consumer chose (a replacement, a refund, a gift card...) is approved; then
    # issued (shipped, paid, or its code sent). The values keep their first names.
    REPLACEMENT_APPROVED = "replacement_approved", _("Remedy approved")
    REPLACEMENT_SHIPPED = "replacement_shipped", _("Remedy issued")
    DISPOSAL_REFUSED = "disposal_refused", _("Proof of disposal refused")
    DISPOSAL_CONFIRMED = "disposal_confirmed", _("Disposal confirmed")
    REJECTED = "rejected", _("Claim rejected")
    WITHDRAWN = "withdrawn", _("Claim withdrawn")
    REOPENED = "reopened", _("Claim reopened")
    DISPOSAL_REMINDER = "disposal_reminder", _("Disposal reminder")
    INFORMATION_REMINDER = "information_reminder", _("Information reminder")
    # Staff revoked the claim's links: the new one (claim_links_renew).
    LINK_RENEWED = "link_renewed", _("New link to the claim")
    # To the recall's managers, not the consumer: a pool of gift card or voucher codes runs low.
    CODE_POOL_LOW = "code_pool_low", _("Gift card codes running low")
    # To the recall's safety contact, not the consumer: an urgent incident report.
    INCIDENT_ALERT = "incident_alert", _("Urgent incident alert")
    # To a known purchaser (direct notice), not about a claim: the recall notice, then reminders.
    RECALL_NOTICE = "recall_notice", _("Recall notice")
    NOTICE_REMINDER = "notice_reminder", _("Recall notice reminder")


class EmailState(models.TextChoices):
    # Waiting to be sent (first try, or a retry after a failure).
    PENDING = "pending", _("Pending")
    # Handed to the mail server.
    SENT = "sent", _("Sent")
    # Every try failed; staff can send it again.
    FAILED = "failed", _("Failed")
    # Not sent, and never will be: a text to a number that replied STOP before it went.
    CANCELLED = "cancelled", _("Cancelled")


class Channel(models.TextChoices):
    """How an outbox row reaches the consumer."""

    EMAIL = "email", _("Email")
    # A status text to the claim's mobile number (Claim.text_number), through django-sms.
    TEXT = "text", _("Text message")


class OutboundEmail(models.Model):
    """A message to a consumer. Its body is rendered when it is sent, in the claim's language.

    `dedupe_key` makes a message unique per cause (one event, or one reminder period), so a step
    or a reminder run twice writes one row; `message_id` is fixed when the row is written, so a
    message sent twice in the one unavoidable window is recognisable as one by any mail client.
    """

    # The claim the email is about (its consumer is the recipient unless `recipient` is set).
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="emails", null=True, blank=True
    )
    recipient = models.EmailField(blank=True, help_text="When empty: the claim's consumer.")
    # Ids the message is about besides the claim, e.g. {"incident": 12}: never personal data.
    context = models.JSONField(default=dict, blank=True)
    event = models.ForeignKey(
        ClaimEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # One of the registered kinds (outbox_write refuses any other); no choices, see EmailKind.
    kind = models.CharField(max_length=30)
    # An email, or a status text about the same step (texts go to Claim.text_number).
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    dedupe_key = models.CharField(max_length=100, unique=True)
    message_id = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    # Taken by a batch (`deliver_batch`) until then: no other worker sends it meanwhile. A batch
    # that dies leaves it leased; once the time has passed, another batch takes it.
    leased_until = models.DateTimeField(null=True, blank=True)
    # Which batch holds it: a batch records only the outcome of rows it still holds.
    lease_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Printed in the message (emails' footers; texts too): the consumer types it on /<lang>/verify/
    # to learn whether we sent it. Empty on rows written before codes existed. Not unique (see
    # new_verification_code); any message of any channel in the outbox may print it.
    verification_code = models.CharField(
        max_length=8,
        blank=True,
        default=new_verification_code,
        editable=False,
        db_index=True,
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.claim or 'staff'}"

    def get_kind_display(self) -> str:
        """The kind's label, as its app registered it (the field has no choices to take it from)."""
        from recallcases.notifications.emails import email_kind_label  # emails imports models

        return email_kind_label(self.kind)


class TextOptOut(models.Model):
    """A mobile number that replied STOP: it gets no text, whichever claim it is on, until it
    replies START. The number is kept so that the refusal outlives the claims (E.164)."""

    number = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return "opted out"
