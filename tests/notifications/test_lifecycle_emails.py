"""Every email the claims' lifecycle table names is one notifications can compose."""

import pytest

from recallcases.claims.lifecycle import STATUSES, STEPS, SUBMISSION
from recallcases.notifications.emails import CONTENT, KINDS, compose_claim_email
from recallcases.notifications.models import EmailKind
from recallcases.notifications.services import REMINDERS, STEP_EMAILS

STEP_KINDS = sorted({step.email_kind for step in (SUBMISSION, *STEPS) if step.email_kind})
REMINDER_KINDS = sorted({e.reminder.kind for e in STATUSES.values() if e.reminder is not None})


@pytest.mark.parametrize("kind", STEP_KINDS + REMINDER_KINDS)
def test_every_email_kind_of_the_table_can_be_composed(kind):
    assert kind in EmailKind.values
    # a claim's email to its consumer: composed from CONTENT, not by another app's composer
    assert kind in CONTENT
    assert KINDS[kind].composer is compose_claim_email


def test_step_emails_and_reminders_are_the_tables():
    assert {pair: step.email_kind for pair, step in _steps().items() if step.email_kind} == (
        STEP_EMAILS
    )
    assert sorted(REMINDERS) == REMINDER_KINDS


def _steps():
    return {(step.from_status, step.to_status): step for step in (SUBMISSION, *STEPS)}
