"""The one outbox writer: registered kinds only, one row per cause, published after commit."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from recallcases.claims.models import ClaimStatus as S
from recallcases.notifications.emails import KINDS, email_kind_register
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import (
    EmailDraft,
    UnknownEmailKind,
    outbox_write,
    outbox_write_many,
)
from tests.factories import ClaimFactory, OutboundEmailFactory

pytestmark = pytest.mark.django_db


def test_outbox_write_refuses_a_kind_no_composer_handles():
    claim = ClaimFactory()
    with pytest.raises(UnknownEmailKind, match="no_such_kind"):
        outbox_write(kind="no_such_kind", dedupe_key="test:unknown", claim=claim)
    assert not OutboundEmail.objects.exists()


def test_outbox_write_many_refuses_the_batch_if_one_kind_is_unknown():
    drafts = [
        EmailDraft(kind=EmailKind.INCIDENT_ALERT, dedupe_key="test:known", recipient="a@b.ca"),
        EmailDraft(kind="no_such_kind", dedupe_key="test:unknown", recipient="a@b.ca"),
    ]
    with pytest.raises(UnknownEmailKind):
        outbox_write_many(drafts=drafts)
    assert not OutboundEmail.objects.exists()


def test_a_kind_registered_by_an_app_can_be_written_and_shows_its_label(monkeypatch):
    # given: an app registers a kind of its own, which notifications has never heard of
    monkeypatch.setitem(KINDS, "test_kind", None)  # so that it is removed after the test
    email_kind_register(
        kind="test_kind", label="A test email", composer=KINDS[EmailKind.VERIFIED].composer
    )
    # when / then: it is written, and staff see its label
    email = outbox_write(kind="test_kind", dedupe_key="test:kind", claim=ClaimFactory())
    assert email.get_kind_display() == "A test email"
    # and a row of a kind no app registers any more shows the kind itself, rather than failing
    assert OutboundEmailFactory(kind="gone_kind").get_kind_display() == "gone_kind"


def test_every_kind_the_apps_send_is_registered_with_its_label():
    assert {kind: str(KINDS[kind].label) for kind in EmailKind.values} == {
        kind.value: str(kind.label) for kind in EmailKind
    }


def test_outbox_write_twice_for_one_cause_writes_one_row():
    claim = ClaimFactory(status=S.VERIFIED)
    with transaction.atomic():
        first = outbox_write(kind=EmailKind.VERIFIED, dedupe_key="test:once", claim=claim)
        second = outbox_write(kind=EmailKind.VERIFIED, dedupe_key="test:once", claim=claim)
        # the caller's transaction goes on after the duplicate
        third = outbox_write(kind=EmailKind.VERIFIED, dedupe_key="test:other", claim=claim)
    assert second is None
    assert list(OutboundEmail.objects.order_by("pk")) == [first, third]
    assert first.message_id and first.message_id != third.message_id
    assert first.next_attempt_at is not None and first.state == EmailState.PENDING


@pytest.mark.django_db(transaction=True)
def test_outbox_write_publishes_after_commit_and_not_after_a_rollback():
    # Tasks run in-process in tests: a published email is sent at once.
    claim = ClaimFactory(status=S.VERIFIED)
    # when: the transaction that wrote the email fails
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_write(kind=EmailKind.VERIFIED, dedupe_key="test:rolled-back", claim=claim)
        raise RuntimeError("the step failed")
    # then: no row, nothing published
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []
    # when: it commits
    with transaction.atomic():
        email = outbox_write(kind=EmailKind.VERIFIED, dedupe_key="test:committed", claim=claim)
        assert mail.outbox == []  # not before the commit
    # then: published once committed, and sent
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.state == EmailState.SENT


def test_outbox_write_many_writes_in_one_insert_and_publishes_after_commit(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    drafts = [
        EmailDraft(
            kind=EmailKind.INCIDENT_ALERT,
            dedupe_key=f"test:bulk:{n}",
            recipient=f"safety{n}@example.com",
            context={"incident": n},
        )
        for n in range(50)
    ]
    published = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with django_assert_num_queries(1):
            emails = outbox_write_many(drafts=drafts, publish=published.extend)
        assert published == []  # not before the commit
    assert len(callbacks) == 1
    assert published == [email.pk for email in emails]
    rows = OutboundEmail.objects.order_by("pk")
    assert [(e.pk, e.recipient, e.context) for e in rows] == [
        (e.pk, f"safety{n}@example.com", {"incident": n}) for n, e in enumerate(emails)
    ]
    assert len({e.message_id for e in rows}) == 50
    assert all(e.next_attempt_at and e.state == EmailState.PENDING for e in rows)


def test_outbox_write_many_refuses_a_cause_already_written():
    outbox_write(kind=EmailKind.INCIDENT_ALERT, dedupe_key="test:dup", recipient="a@b.ca")
    drafts = [
        EmailDraft(kind=EmailKind.INCIDENT_ALERT, dedupe_key="test:new", recipient="a@b.ca"),
        EmailDraft(kind=EmailKind.INCIDENT_ALERT, dedupe_key="test:dup", recipient="a@b.ca"),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox_write_many(drafts=drafts)
    assert list(OutboundEmail.objects.values_list("dedupe_key", flat=True)) == ["test:dup"]
