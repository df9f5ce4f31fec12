"""Which purchaser each notice went to: a key the reports join on, filled for notices already
written from the id their context carried."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from recallcases.notices.models import NoticeEmail, Purchaser
from tests.factories import OutboundEmailFactory

pytestmark = pytest.mark.django_db

LINKS = importlib.import_module("recallcases.notices.migrations.0003_notice_email")


def test_the_migration_links_each_notice_written_to_its_purchaser(recall):
    # given: notices and a reminder written before the link existed, with the purchaser in their
    # context, a claim email, and a notice whose purchaser is gone
    first, second = (
        Purchaser.objects.create(recall=recall, email=f"p{n}@example.com", country="CA")
        for n in (1, 2)
    )
    notice = OutboundEmailFactory(kind="recall_notice", context={"purchaser": first.pk})
    reminder = OutboundEmailFactory(kind="notice_reminder", context={"purchaser": first.pk})
    other = OutboundEmailFactory(kind="recall_notice", context={"purchaser": second.pk})
    OutboundEmailFactory(kind="verified", context={"purchaser": first.pk})
    OutboundEmailFactory(kind="recall_notice", context={"purchaser": 999_999})
    # when: the migration's step runs, on the models as they were then
    state = MigrationExecutor(connection).loader.project_state(("notices", "0003_notice_email"))
    LINKS.link_written_notices(state.apps, None)
    # then: each notice is linked to its purchaser, and nothing else
    links = set(NoticeEmail.objects.values_list("email_id", "purchaser_id"))
    assert links == {(notice.pk, first.pk), (reminder.pk, first.pk), (other.pk, second.pk)}
