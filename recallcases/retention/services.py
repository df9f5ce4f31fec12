"""Running the retention schedule: every app's retention service, in one report.

Each domain app owns what it keeps and how it forgets it (`claims/retention.py`,
`notices/retention.py`, `incidents/retention.py`, `notifications/retention.py`); this module runs
them all with one `now`, and says what was removed per kind and per recall. docs/retention.md is
the schedule in a table.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from recallcases.claims.retention import CLAIM_PERSONAL_DATA, CLAIM_PHOTOS, claim_retention_apply
from recallcases.core.retention import RetentionCounts
from recallcases.incidents.retention import INCIDENT_DETAILS, incident_retention_apply
from recallcases.notices.retention import PURCHASER_DETAILS, purchaser_retention_apply
from recallcases.notifications.retention import EMAIL_RECIPIENTS, outbox_retention_apply
from recallcases.recalls.models import Recall

logger = logging.getLogger(__name__)

# Every kind, in the order the report lists them.
KINDS = (CLAIM_PERSONAL_DATA, CLAIM_PHOTOS, PURCHASER_DETAILS, INCIDENT_DETAILS, EMAIL_RECIPIENTS)
SERVICES = (
    claim_retention_apply,
    purchaser_retention_apply,
    incident_retention_apply,
    outbox_retention_apply,
)


@dataclass(frozen=True)
class RetentionLine:
    kind: str
    recall: str  # the recall's slug, or "" for rows of no recall
    count: int


@dataclass(frozen=True)
class RetentionReport:
    now: datetime
    dry_run: bool
    lines: list[RetentionLine]  # only kinds and recalls with something removed

    def total(self, kind: str) -> int:
        return sum(line.count for line in self.lines if line.kind == kind)

    @property
    def totals(self) -> dict[str, int]:
        """Each kind's count over every recall, zero included, in the order of KINDS."""
        return {kind: self.total(kind) for kind in KINDS}


def retention_apply(*, now: datetime, dry_run: bool = False) -> RetentionReport:
    """Anonymise or delete everything whose retention period is over at `now`, in every app.

    With `dry_run` nothing changes and the report says what would be removed. Each app's service
    is idempotent: a second run at the same `now` removes nothing more.
    """
    counts = RetentionCounts()
    for service in SERVICES:
        counts.update(service(now=now, dry_run=dry_run))
    slugs = dict(Recall.objects.values_list("pk", "slug"))
    lines = sorted(
        (
            RetentionLine(kind=kind, recall=slugs.get(recall_id, ""), count=n)
            for (kind, recall_id), n in counts.items()
            if n
        ),
        key=lambda line: (KINDS.index(line.kind), line.recall),
    )
    report = RetentionReport(now=now, dry_run=dry_run, lines=lines)
    if not dry_run:
        logger.info(
            "retention: %s",
            ", ".join(f"{kind}: {n}" for kind, n in report.totals.items()),
        )
    return report
