"""Known purchasers of a recalled product, and what direct notice reached them."""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Language
from recallcases.notifications.models import OutboundEmail
from recallcases.recalls.models import Country, Product, Recall


class PurchaserSource(models.TextChoices):
    # A list of buyers from the company or its retailer: they get the notice directly.
    DIRECT = "direct", _("Purchaser list (direct notice)")


class Purchaser(models.Model):
    """Someone known to have bought a recalled unit, to be told of the recall directly.

    The unsubscribe link carries a token signed with the site's secret key (see
    `recallcases.notices.tokens`), not a random secret whose hash is stored: the link is written
    into every notice and reminder when it is sent, long after the purchaser was imported, and a
    stored hash cannot give the secret back. A signed token is derived again for each email, stays
    valid however many emails were sent, and keeps nothing secret in the database. Whoever holds it
    can only unsubscribe that one purchaser.
    """

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="purchasers")
    name = models.CharField(max_length=200, blank=True)
    # Lower case (a check constraint keeps it so): claims are matched by their lower-case email.
    email = models.EmailField()
    order_number = models.CharField(max_length=40, blank=True)
    # None when the list does not say which model (or names one the recall does not have).
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="purchasers", null=True, blank=True
    )
    # As normalised for the registry; blank when the list does not know it.
    serial = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, choices=Country.choices)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    source = models.CharField(
        max_length=20, choices=PurchaserSource.choices, default=PurchaserSource.DIRECT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The recall notice written for this purchaser (None: not notified yet), and when.
    notice_email = models.OneToOneField(
        OutboundEmail, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    # The last notice or reminder written, whatever its kind.
    last_email = models.ForeignKey(
        OutboundEmail, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # When the next reminder is due if the purchaser has not claimed by then; None: no more.
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Honoured from then on: nothing more is sent to this purchaser.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The address bounced (recorded from the email provider's export): nothing more is sent.
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=200, blank=True)
    # When the retention schedule removed the name, email and order number (notices/retention.py).
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Importing the same list again adds nobody. Anonymised purchasers have no email left.
            models.UniqueConstraint(
                fields=["recall", "email", "order_number"],
                condition=models.Q(anonymised_at__isnull=True),
                name="one_purchaser_per_order",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="purchaser_email_lower_case"
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=Language.values), name="purchaser_language_known"
            ),
            models.CheckConstraint(
                condition=models.Q(country__in=Country.values), name="purchaser_country_known"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=PurchaserSource.values),
                name="purchaser_source_known",
            ),
        ]
        indexes = [
            # A claim is on the list when a purchaser has its serial or its email.
            models.Index(fields=["recall", "serial"], name="purchaser_serial"),
            models.Index(fields=["email"], name="purchaser_email"),
        ]
        permissions = [("send_notice", "Can send recall notices to known purchasers")]

    def __str__(self):
        return f"{self.email} ({self.order_number or '-'})"


class NoticeEmail(models.Model):
    """A recall notice or reminder in the outbox, and the purchaser it is written for.

    Here rather than as a purchaser column of the outbox: notices knows notifications, never the
    reverse, and the outbox's other emails (claims, incident alerts) have no purchaser. Reports
    join through it on keys (email → purchaser) instead of casting the outbox's JSON context.
    """

    email = models.OneToOneField(
        OutboundEmail, on_delete=models.CASCADE, primary_key=True, related_name="notice"
    )
    purchaser = models.ForeignKey(Purchaser, on_delete=models.PROTECT, related_name="emails")

    def __str__(self):
        return f"{self.email_id} to {self.purchaser_id}"
