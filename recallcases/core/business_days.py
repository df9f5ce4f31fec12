"""Business days, for the promises a recall makes ("verified within 5 business days").

Monday to Friday; public holidays are not counted (they differ by country, state and province),
so a promise over a holiday comes due one day early rather than late.
"""

from datetime import date, timedelta


def business_days_after(day: date, days: int) -> date:
    """The date `days` business days after `day` (a claim filed on a Saturday, "within 5 business
    days", is due on the Friday after)."""
    due = day
    while days > 0:
        due += timedelta(days=1)
        if due.weekday() < 5:
            days -= 1
    return due


def last_start_overdue(*, today: date, days: int) -> date:
    """The latest start date whose promise of `days` business days came due before `today`: a
    start on or before it is overdue today (when its step is not done)."""
    start = today - timedelta(days=1)
    while business_days_after(start, days) >= today:
        start -= timedelta(days=1)
    return start
