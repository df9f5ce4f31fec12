"""The retention schedule of incident reports: the reporter's details removed in time.

`Recall.incident_retention_months` after the company learned of an incident (six years by
default, as the incident form's privacy notice promises), the reporter's name, email and phone,
their description, their photo (the file is deleted) and the staff's notes on what the
regulators were told (free text that may name the reporter) are removed. What happened (the
kinds), when (the date, the timing, when it was learned), where (country, province or state),
the claim it came from, who acknowledged it and when the regulators were told stay: the monthly
reports count incidents and the state of Health Canada's clocks from them.
"""

import logging
from datetime import datetime

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet

from recallcases.core.retention import RetentionCounts, months_before
from recallcases.incidents.models import Incident
from recallcases.recalls.models import Recall

logger = logging.getLogger(__name__)

# The kind of what is removed, as `retention_apply` reports it.
INCIDENT_DETAILS = "incident reporters' details"


def incidents_due_for_anonymising(*, recall: Recall, now: datetime) -> QuerySet[Incident]:
    """The recall's incidents whose reporter's details are due for removal at `now`."""
    cutoff = months_before(now, recall.incident_retention_months)
    return Incident.objects.filter(recall=recall, anonymised_at__isnull=True, learned_at__lt=cutoff)


def incident_retention_apply(*, now: datetime, dry_run: bool = False) -> RetentionCounts:
    """Remove the reporter's details of the incidents whose time is up; how many, per recall.

    With `dry_run`, how many would be, and nothing changes. Running it again changes nothing.
    """
    counts = RetentionCounts()
    for recall in Recall.objects.order_by("pk"):
        due = incidents_due_for_anonymising(recall=recall, now=now)
        if dry_run:
            counts[INCIDENT_DETAILS, recall.pk] += due.count()
            continue
        for incident in due.only("pk", "photo"):
            counts[INCIDENT_DETAILS, recall.pk] += _incident_anonymise(incident=incident, now=now)
    return counts


def _incident_anonymise(*, incident: Incident, now: datetime) -> int:
    # The file first: were it refused after the row forgot it, the photo would stay for good.
    if incident.photo.name:
        try:
            default_storage.delete(incident.photo.name)
        except OSError:
            logger.exception("retention: could not delete the photo of incident %s", incident.pk)
            return 0
    with transaction.atomic():
        return Incident.objects.filter(pk=incident.pk, anonymised_at__isnull=True).update(
            contact_name="",
            contact_email="",
            contact_phone="",
            description="",
            photo="",
            regulator_notice_note="",
            written_report_note="",
            anonymised_at=now,
        )
