"""Reading incidents: the staff list and its CSV export, one incident, its alert email."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from django.db.models import QuerySet
from django.utils import timezone

from recallcases.claims.tokens import normalise_reference
from recallcases.core.csv_files import csv_lines
from recallcases.incidents.models import Incident, IncidentKind
from recallcases.incidents.services import alert_dedupe_key
from recallcases.notifications.models import OutboundEmail


@dataclass(frozen=True)
class IncidentFilters:
    recall_id: int | None = None
    kind: str = ""
    # None: either way.
    urgent: bool | None = None
    acknowledged: bool | None = None
    overdue: bool = False
    search: str = ""


def incident_list(*, filters: IncidentFilters) -> QuerySet[Incident]:
    """Incidents for the staff list, newest first, filtered; one query however many there are."""
    incidents = Incident.objects.select_related("recall", "claim", "acknowledged_by")
    if filters.recall_id:
        incidents = incidents.filter(recall_id=filters.recall_id)
    if filters.kind in IncidentKind.values:
        incidents = incidents.filter(**{filters.kind: True})
    if filters.urgent is not None:
        incidents = incidents.filter(urgent=filters.urgent)
    if filters.acknowledged is not None:
        incidents = incidents.filter(acknowledged_at__isnull=not filters.acknowledged)
    if filters.overdue:
        incidents = incidents.overdue(now=timezone.now())
    if filters.search.strip():
        incidents = incidents.filter(reference=normalise_reference(filters.search))
    return incidents.order_by("-learned_at", "-pk")


def incident_for_staff(*, reference: str) -> Incident | None:
    """One incident with what its staff page shows."""
    return (
        Incident.objects.select_related(
            "recall",
            "claim",
            "acknowledged_by",
            "regulator_notice_recorded_by",
            "written_report_recorded_by",
        )
        .filter(reference=normalise_reference(reference))
        .first()
    )


def incident_alert_email(incident: Incident) -> OutboundEmail | None:
    """The urgent alert written for the incident, if any (none when not urgent or no contact)."""
    return OutboundEmail.objects.filter(dedupe_key=alert_dedupe_key(incident.pk)).first()


# The export's columns: header → how to read it from an incident. Contact details only for
# staff allowed to see them (EXPORT_CONTACT_COLUMNS).
EXPORT_COLUMNS = (
    ("reference", lambda i: i.reference),
    ("recall", lambda i: i.recall.slug),
    ("claim", lambda i: i.claim.reference if i.claim else ""),
    ("what_happened", lambda i: ";".join(kind.value for kind in i.kinds)),
    ("urgent", lambda i: "yes" if i.urgent else "no"),
    ("occurred_on", lambda i: i.occurred_on.isoformat() if i.occurred_on else ""),
    ("before_or_after_announcement", lambda i: i.timing),
    ("country", lambda i: i.country),
    ("region", lambda i: i.region),
    ("language", lambda i: i.language),
    ("learned_at", lambda i: _iso(i.learned_at)),
    ("regulator_notice_due_at", lambda i: _iso(i.regulator_notice_due_at)),
    ("regulator_notified_at", lambda i: _iso(i.regulator_notified_at)),
    ("written_report_due_at", lambda i: _iso(i.written_report_due_at)),
    ("written_report_filed_at", lambda i: _iso(i.written_report_filed_at)),
    ("overdue", lambda i: "yes" if i.is_overdue else "no"),
    ("acknowledged_at", lambda i: _iso(i.acknowledged_at)),
    ("acknowledged_by", lambda i: i.acknowledged_by.get_username() if i.acknowledged_by else ""),
    ("has_photo", lambda i: "yes" if i.photo else "no"),
    ("description", lambda i: i.description),
)
EXPORT_CONTACT_COLUMNS = (
    ("contact_name", lambda i: i.contact_name),
    ("contact_email", lambda i: i.contact_email),
    ("contact_phone", lambda i: i.contact_phone),
)
EXPORT_CHUNK_SIZE = 2000


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def incident_csv(*, incidents: QuerySet[Incident], with_contact: bool) -> Iterator[str]:
    """The CSV lines of `incidents`: a header, then one line each, every cell formula-safe."""
    columns = EXPORT_COLUMNS + (EXPORT_CONTACT_COLUMNS if with_contact else ())
    return csv_lines(
        header=[header for header, _read in columns],
        rows=(
            [read(incident) for _header, read in columns]
            for incident in incidents.iterator(chunk_size=EXPORT_CHUNK_SIZE)
        ),
    )
