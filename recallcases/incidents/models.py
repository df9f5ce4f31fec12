"""Incident reports: a unit that overheated, smoked, caught fire, hurt someone or damaged property.

An incident is reported by a consumer (from the recall's page or from their claim's status page);
staff acknowledge it and record what the regulators were told. Where the recall's product was sold
in Canada, Health Canada's clocks run from the moment the company learned of the incident.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recallcases.claims.models import Claim, Language
from recallcases.recalls.models import Country, Recall


class IncidentKind(models.TextChoices):
    """What happened; a report names one or more. Each is a boolean field of Incident."""

    OVERHEATING = "overheating", _("Overheating")
    SMOKE = "smoke", _("Smoke")
    FIRE = "fire", _("Fire")
    INJURY = "injury", _("Injury")
    PROPERTY_DAMAGE = "property_damage", _("Property damage")


# A report naming one of these is urgent: the recall's safety contact is emailed at once.
URGENT_KINDS = (IncidentKind.FIRE, IncidentKind.INJURY)


class Timing(models.TextChoices):
    """When it happened relative to the recall's announcement (regulators count both apart)."""

    BEFORE = "before", _("Before the recall was announced")
    AFTER = "after", _("After the recall was announced")
    # No date given, and the consumer is not sure.
    UNKNOWN = "unknown", _("Not known")


# Health Canada: a company that learns of an incident tells the regulator within 2 days and
# files a written report within 10 days (a foreign incident counts too).
HEALTH_CANADA_NOTICE = timedelta(days=2)
HEALTH_CANADA_WRITTEN_REPORT = timedelta(days=10)
# Where the recall's product was sold, for Health Canada's clocks to apply.
HEALTH_CANADA_COUNTRY = Country.CA


def health_canada_applies(recall: Recall) -> bool:
    """Whether Health Canada's clocks run for incidents of this recall (it was sold in Canada)."""
    return HEALTH_CANADA_COUNTRY in (recall.countries or [])


def _photo_name() -> str:
    # A random name: nothing in it reveals the incident, the consumer or the order of uploads.
    return f"incidents/{uuid.uuid4().hex}.jpg"


@dataclass(frozen=True)
class Clock:
    """One regulator's deadline for an incident, and whether it was met."""

    label: str | Promise
    due_at: datetime
    done_at: datetime | None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        """Not done, and the deadline has passed."""
        return self.done_at is None and timezone.now() > self.due_at

    @property
    def was_late(self) -> bool:
        """Done, but after the deadline."""
        return self.done_at is not None and self.done_at > self.due_at


class IncidentQuerySet(models.QuerySet):
    def overdue(self, *, now: datetime | None = None):
        """Incidents with a regulator's deadline passed and nothing recorded for it."""
        now = now or timezone.now()
        return self.filter(
            Q(regulator_notice_due_at__lt=now, regulator_notified_at__isnull=True)
            | Q(written_report_due_at__lt=now, written_report_filed_at__isnull=True)
        )


class Incident(models.Model):
    """One consumer's report that a unit overheated, smoked, caught fire or hurt someone."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="incidents")
    # Set when the consumer reported it from their claim's status page.
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="incidents", null=True, blank=True
    )
    reference = models.CharField(max_length=9, unique=True, editable=False)

    # What happened: one or more (a check constraint asks for at least one).
    overheating = models.BooleanField(_("overheating"), default=False)
    smoke = models.BooleanField(_("smoke"), default=False)
    fire = models.BooleanField(_("fire"), default=False)
    injury = models.BooleanField(_("injury"), default=False)
    property_damage = models.BooleanField(_("property damage"), default=False)
    # Fire or injury (kept by a check constraint): the safety contact was emailed at once.
    urgent = models.BooleanField(default=False, editable=False, db_index=True)

    occurred_on = models.DateField(null=True, blank=True, help_text="Empty when not known.")
    # From the date when there is one; otherwise what the consumer said.
    timing = models.CharField(max_length=10, choices=Timing.choices, default=Timing.UNKNOWN)
    description = models.TextField()
    # Re-encoded without metadata (the photo pipeline), random name, served only to staff.
    photo = models.FileField(blank=True)

    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, choices=Country.choices)
    region = models.CharField(max_length=2, blank=True, help_text="State or province code.")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)

    # When the company learned of the incident: the regulators' clocks start here.
    learned_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # Fixed when the incident is reported; empty where Health Canada's clocks do not apply.
    regulator_notice_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    written_report_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    regulator_notified_at = models.DateTimeField(null=True, blank=True)
    regulator_notice_note = models.TextField(blank=True)
    regulator_notice_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    written_report_filed_at = models.DateTimeField(null=True, blank=True)
    written_report_note = models.TextField(blank=True)
    written_report_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    # When the retention schedule removed the reporter's details, the description, the photo and
    # the staff's notes (incidents/retention.py); None while they are kept.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-learned_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overheating=True)
                | Q(smoke=True)
                | Q(fire=True)
                | Q(injury=True)
                | Q(property_damage=True),
                name="incident_says_what_happened",
            ),
            models.CheckConstraint(
                condition=(Q(urgent=True) & (Q(fire=True) | Q(injury=True)))
                | Q(urgent=False, fire=False, injury=False),
                name="incident_urgent_when_fire_or_injury",
            ),
            models.CheckConstraint(
                condition=Q(timing__in=Timing.values), name="incident_timing_known"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="incident_acknowledged_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(
                    regulator_notice_due_at__isnull=True, written_report_due_at__isnull=True
                )
                | Q(regulator_notice_due_at__isnull=False, written_report_due_at__isnull=False),
                name="incident_clocks_together",
            ),
        ]
        permissions = [
            (
                "acknowledge_incident",
                "Can acknowledge incidents and record what regulators were told",
            ),
            ("view_incident_contact", "Can see the contact details of who reported an incident"),
        ]

    def __str__(self):
        return self.reference

    @property
    def kinds(self) -> list[IncidentKind]:
        """What happened, in the order of IncidentKind."""
        return [kind for kind in IncidentKind if getattr(self, kind.value)]

    @property
    def kind_labels(self) -> list[str]:
        return [str(kind.label) for kind in self.kinds]

    @property
    def health_canada_clocks(self) -> list[Clock]:
        """Health Canada's two deadlines, or none where its clocks do not apply."""
        if self.regulator_notice_due_at is None or self.written_report_due_at is None:
            return []
        return [
            Clock(
                _("Tell Health Canada (2 days)"),
                self.regulator_notice_due_at,
                self.regulator_notified_at,
            ),
            Clock(
                _("Written report to Health Canada (10 days)"),
                self.written_report_due_at,
                self.written_report_filed_at,
            ),
        ]

    @property
    def is_overdue(self) -> bool:
        return any(clock.is_overdue for clock in self.health_canada_clocks)
