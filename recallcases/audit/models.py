"""The audit trail: one append-only row for each staff (or consumer, or system) action.

This app sits at the bottom of the house: it knows no other recallcases app. Callers describe
what they did (an action code, the subject, the values before and after) and `audit_record`
writes it in their transaction. Status changes of claims are not here: ClaimEvent holds them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    SHIPMENT_RECORD = "shipment.record", _("Shipment recorded")
    PHOTO_UPLOAD = "photo.upload", _("Photo uploaded by the consumer")
    PHOTO_VIEW = "photo.view", _("Claim photo opened by staff")
    SERIAL_CORRECT = "serial.correct", _("Serial corrected by the consumer")
    TRACKING_IMPORT = "tracking.import", _("Tracking numbers imported")
    REGISTRY_IMPORT = "registry.import", _("Serial registry imported")
    PURCHASERS_IMPORT = "purchasers.import", _("Purchaser list imported")
    NOTICES_SEND = "notices.send", _("Recall notices written")
    BOUNCES_IMPORT = "bounces.import", _("Bounces imported")
    EMAIL_RETRY = "email.retry", _("Failed email sent again")
    USER_ROLES_CHANGE = "user.roles", _("Staff account's roles changed")
    GROUP_PERMISSIONS_CHANGE = "group.permissions", _("Role's permissions changed")
    AUTHENTICATOR_DELETE = "authenticator.delete", _("Staff member's authenticator removed")
    LINKS_RENEW = "links.renew", _("Status links revoked and a new one emailed")
    # Call-centre agents: every look-up of claims, every claim opened, every claim filed by phone.
    CALL_SEARCH = "call.search", _("Claims looked up for a caller")
    CALL_CLAIM_OPEN = "call.claim_open", _("Claim opened for a caller")
    CLAIM_BY_PHONE = "claim.phone", _("Claim filed by phone")
    CALL_LOG = "call.log", _("Phone call logged")
    # The consumer replied STOP (or START) to a status text.
    TEXTS_STOP = "texts.stop", _("Status texts stopped by the consumer")
    TEXTS_START = "texts.start", _("Status texts started again by the consumer")
    REMEDY_CHANGE = "remedy.change", _("Remedy changed")
    REMEDY_CODES_IMPORT = "remedy_codes.import", _("Gift card or voucher codes imported")
    REMEDY_CODE_ISSUE = "remedy_code.issue", _("Gift card or voucher code issued")
    PAYMENT_RECORD = "payment.record", _("Refund payment recorded")
    PAYMENTS_IMPORT = "payments.import", _("Payment confirmations imported")
    PAYMENTS_EXPORT = "payments.export", _("Refunds to pay exported")


# The keys of `before` and `after`, as a reader names them; a key missing here shows as it is.
VALUE_LABELS = {
    "serial": _("serial"),
    "serial_as_typed": _("serial as typed"),
    "kind": _("kind"),
    "remedy": _("remedy"),
    "carrier": _("carrier"),
    "tracking_number": _("tracking number"),
    "state": _("state"),
    "rows": _("rows"),
    "applied": _("applied"),
    "refused": _("refused"),
    "not_applied": _("not applied"),
    "apply_good_rows": _("good rows applied"),
    "rows_added": _("rows added"),
    "units_added": _("serials added"),
    # Registry entries stored: one per run of consecutive serials since the import merges runs;
    # one per row added before (a record then has no rows_added, and its entries were its rows).
    "entries_added": _("entries added"),
    "duplicates": _("duplicates"),
    "invalid": _("invalid"),
    "demo": _("demo"),
    "added": _("added"),
    "written": _("written"),
    "marked": _("marked bounced"),
    "soft": _("soft bounces"),
    "unknown": _("unknown addresses"),
    "groups": _("roles"),
    "user_permissions": _("own permissions"),
    "is_active": _("active"),
    "is_staff": _("staff"),
    "is_superuser": _("superuser"),
    "name": _("name"),
    "permissions": _("permissions"),
    "authenticator": _("authenticator"),
    "confirmed": _("confirmed"),
    "links_revoked": _("links revoked"),
    "by": _("looked up by"),
    "found": _("claims found"),
    "reason": _("reason"),
    "outcome": _("outcome"),
    "texts": _("status texts"),
    "cancelled": _("cancelled"),
    "note": _("note"),
    "code": _("code"),
    "payment_reference": _("payment reference"),
    "amount": _("amount"),
    "currency": _("currency"),
    "claims": _("claims"),
}


def values_text(values: dict | None) -> str:
    """`before` or `after` as a line a reader understands: “carrier: UPS · tracking number: …”."""
    if not values:
        return ""
    parts = []
    for key, value in values.items():
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif isinstance(value, list):
            value = ", ".join(str(item) for item in value) or "—"
        parts.append(f"{VALUE_LABELS.get(key, key)}: {value}")
    return " · ".join(parts)


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CONSUMER = "consumer", _("Consumer")
    SYSTEM = "system", _("System")


class AppendOnlyError(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries are never changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries are never deleted.")


class AuditEntry(models.Model):
    """Who did what to which subject, when, and the values before and after. Never edited.

    The subject is named by its model ("claims.shipment") and primary key as text, not by a
    foreign key: the trail outlives what it is about, and this app knows no other app's models.
    `recall_id` and `claim_id` are the scope a page filters by, when the action has one.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    # One of AuditAction, which audit_record checks: not a database choice, so that a new action
    # needs no migration of this table (as the outbox's email kinds).
    action = models.CharField(max_length=40)
    # Empty for an action on no one thing (a tracking file touching many claims).
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    # What a reader recognises the subject by (a claim reference, a group's name), as it was then.
    subject_label = models.CharField(max_length=200, blank=True)
    recall_id = models.IntegerField(null=True, blank=True)
    claim_id = models.IntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["claim_id", "created_at"], name="audit_claim"),
            models.Index(fields=["recall_id", "created_at"], name="audit_recall"),
            models.Index(fields=["action", "created_at"], name="audit_action"),
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_kind__in=ActorKind.values), name="audit_actor_kind_known"
            ),
        ]

    def __str__(self):
        return f"{self.action} {self.subject_type}:{self.subject_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries are never deleted.")

    @property
    def before_text(self) -> str:
        return values_text(self.before)

    @property
    def after_text(self) -> str:
        return values_text(self.after)

    def get_action_display(self) -> str:
        """The action in words, as for a choice (its code, if no longer known)."""
        return AuditAction(self.action).label if self.action in AuditAction.values else self.action
