"""What the retention services of every app share: counting months back, and what they report.

Each domain app owns its retention service (`claim_retention_apply`, `purchaser_retention_apply`,
`incident_retention_apply`, `outbox_retention_apply`); each returns `RetentionCounts`, which the
`retention` app adds up and prints per kind and per recall.
"""

import calendar
from collections import Counter
from datetime import datetime


class RetentionCounts(Counter[tuple[str, int | None]]):
    """(kind, recall id) → how many rows were anonymised or deleted (in a dry run: would be).

    The kinds are the plain-English names the management command prints ("claims' personal
    data", ...); the recall is None for rows that belong to none.
    """


def months_before(moment: datetime, months: int) -> datetime:
    """`moment`, `months` calendar months earlier; the 31st becomes the month's last day."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
