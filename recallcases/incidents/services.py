"""Reporting an incident, and what staff record of it (acknowledgement, regulators told)."""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recallcases.claims.models import Claim
from recallcases.claims.tokens import new_reference
from recallcases.core.photo_pipeline import ProcessedPhoto
from recallcases.incidents.models import (
    HEALTH_CANADA_NOTICE,
    HEALTH_CANADA_WRITTEN_REPORT,
    URGENT_KINDS,
    Incident,
    IncidentKind,
    Timing,
    _photo_name,
    health_canada_applies,
)
from recallcases.notifications.models import EmailKind, OutboundEmail
from recallcases.notifications.services import outbox_write
from recallcases.recalls.models import Recall

logger = logging.getLogger(__name__)

# The permission every staff step on an incident needs; checked here again, not only by pages.
ACKNOWLEDGE = "incidents.acknowledge_incident"


class IncidentRefused(Exception):
    """A report or a staff step that cannot be done; `message` is fit to show."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IncidentDetails:
    """What the consumer tells: what happened, when, and how to reach them."""

    kinds: frozenset[str]
    description: str
    contact_name: str
    contact_email: str
    country: str
    contact_phone: str = ""
    region: str = ""
    language: str = "en"
    occurred_on: date | None = None
    # The consumer's own answer, used when they give no date ("unknown" when not sure).
    timing_as_told: str = Timing.UNKNOWN


def incident_timing(*, recall: Recall, occurred_on: date | None, as_told: str) -> str:
    """Before or after the recall's announcement: from the date when known, else as told.

    An incident on the day of the announcement counts as after it: the notice was public.
    """
    if occurred_on is not None:
        return Timing.BEFORE if occurred_on < recall.announced_on else Timing.AFTER
    return as_told if as_told in Timing.values else Timing.UNKNOWN


def alert_dedupe_key(incident_id: int) -> str:
    return f"incident-alert:{incident_id}"


class _PhotoFile:
    """The photo file written during the report's transaction, deleted again if it fails.

    Storage is not transactional (see claims.services._PhotoFiles, ADR 0002).
    """

    def __init__(self):
        self.name = ""

    def write(self, photo: ProcessedPhoto) -> str:
        self.name = default_storage.save(_photo_name(), ContentFile(photo.image))
        return self.name

    def discard(self) -> None:
        if not self.name:
            return
        try:
            default_storage.delete(self.name)
        except OSError:
            logger.exception("could not delete an orphaned incident photo file")
        self.name = ""


def incident_report(
    *,
    recall: Recall,
    details: IncidentDetails,
    claim: Claim | None = None,
    photo: ProcessedPhoto | None = None,
) -> Incident:
    """Record a consumer's incident report, with its photo and, if urgent, its alert email.

    All of it or nothing: the incident, its photo file (deleted if the transaction fails) and,
    for a fire or an injury, the email to the recall's safety contact, handed to a worker once
    the transaction has committed. The regulators' clocks start now.
    """
    kinds = set(details.kinds)
    if not kinds:
        raise IncidentRefused(_("Tell us what happened."))
    if not kinds <= set(IncidentKind.values):
        raise IncidentRefused(_("Choose what happened from the list."))
    if claim is not None and claim.recall_id != recall.pk:
        raise IncidentRefused(_("This claim belongs to another recall."))

    learned_at = timezone.now()
    clocks = health_canada_applies(recall)
    files = _PhotoFile()
    try:
        with transaction.atomic():
            incident = Incident(
                recall=recall,
                claim=claim,
                reference=new_reference(),
                **{kind: kind in kinds for kind in IncidentKind.values},
                urgent=bool(kinds & set(URGENT_KINDS)),
                occurred_on=details.occurred_on,
                timing=incident_timing(
                    recall=recall, occurred_on=details.occurred_on, as_told=details.timing_as_told
                ),
                description=details.description.strip(),
                contact_name=details.contact_name.strip(),
                contact_email=details.contact_email.strip().lower(),
                contact_phone=details.contact_phone.strip(),
                country=details.country,
                region=details.region,
                language=details.language,
                learned_at=learned_at,
                regulator_notice_due_at=learned_at + HEALTH_CANADA_NOTICE if clocks else None,
                written_report_due_at=learned_at + HEALTH_CANADA_WRITTEN_REPORT if clocks else None,
            )
            if photo is not None:
                incident.photo.name = files.write(photo)
            incident.save()
            if incident.urgent:
                _alert_write(incident)
    except BaseException:
        files.discard()
        raise
    logger.info(
        "incident %s reported%s", incident.reference, " (urgent)" if incident.urgent else ""
    )
    return incident


def _alert_write(incident: Incident) -> OutboundEmail | None:
    """Write the urgent alert to the recall's safety contact; send it after commit."""
    recipient = incident.recall.safety_contact_email
    if not recipient:
        # The incident is kept and flagged urgent in the workspace; nobody can be emailed.
        logger.error(
            "urgent incident %s: recall %s has no safety contact email, no alert was written",
            incident.reference,
            incident.recall.slug,
        )
        return None
    return outbox_write(
        kind=EmailKind.INCIDENT_ALERT,
        dedupe_key=alert_dedupe_key(incident.pk),
        recipient=recipient,
        context={"incident": incident.pk},
    )


def _require_right(user) -> None:
    if not user.has_perm(ACKNOWLEDGE):
        raise IncidentRefused(_("You do not have the right to do this."))


def _incident(incident_id: int) -> Incident:
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise IncidentRefused(_("This incident does not exist."))
    return incident


def incident_acknowledge(*, incident_id: int, user) -> Incident:
    """Record that `user` has read the incident and taken it in hand. Once only."""
    _require_right(user)
    updated = Incident.objects.filter(pk=incident_id, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=timezone.now()
    )
    incident = _incident(incident_id)
    if not updated:
        raise IncidentRefused(
            _("%(reference)s was already acknowledged by %(user)s.")
            % {"reference": incident.reference, "user": incident.acknowledged_by.get_username()}
        )
    return incident


def _when(at: datetime | None, incident: Incident) -> datetime:
    """The moment staff say something was done: now by default, never in the future, and never
    before the company learned of the incident (to the minute: forms give minutes)."""
    now = timezone.now()
    at = at or now
    if at > now:
        raise IncidentRefused(_("That time is in the future."))
    if at < incident.learned_at.replace(second=0, microsecond=0):
        raise IncidentRefused(_("That time is before we learned of the incident."))
    return at


def _record_once(*, incident_id: int, user, at, done: str, also: dict) -> Incident:
    """Set the time field `done` (and `also`) if nothing is recorded there yet, else refuse."""
    _require_right(user)
    incident = _incident(incident_id)
    at = _when(at, incident)
    updated = Incident.objects.filter(pk=incident_id, **{f"{done}__isnull": True}).update(
        **{done: at}, **also
    )
    if not updated:
        raise IncidentRefused(
            _("This is already recorded for %(reference)s.") % {"reference": incident.reference}
        )
    incident.refresh_from_db()
    return incident


def incident_record_regulator_notice(
    *, incident_id: int, user, notified_at: datetime | None = None, note: str = ""
) -> Incident:
    """Record when the regulator was told of the incident (Health Canada: within 2 days)."""
    return _record_once(
        incident_id=incident_id,
        user=user,
        at=notified_at,
        done="regulator_notified_at",
        also={"regulator_notice_recorded_by": user, "regulator_notice_note": note.strip()},
    )


def incident_record_written_report(
    *, incident_id: int, user, filed_at: datetime | None = None, note: str = ""
) -> Incident:
    """Record when the written report was filed with the regulator (Health Canada: 10 days)."""
    return _record_once(
        incident_id=incident_id,
        user=user,
        at=filed_at,
        done="written_report_filed_at",
        also={"written_report_recorded_by": user, "written_report_note": note.strip()},
    )
