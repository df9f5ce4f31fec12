"""A refused email tells staff what failed, never to whom: not in the stored error, the pages
of roles without contact rights, nor the logs (issue 10)."""

import logging
import socket

import pytest
from aiosmtpd.controller import Controller
from django.test import Client, override_settings
from django.utils import timezone

from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import Outcome, deliver
from recallcases.workspace.roles import FULFILMENT, RECALL_MANAGER, REVIEWER
from tests.conftest import member_of
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

JORDAN = "jordan@example.com"


class RefusesEveryRecipient:
    """An SMTP server that answers each RCPT TO as a real one does an unknown mailbox."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def refusing_smtp():
    controller = Controller(RefusesEveryRecipient(), hostname="127.0.0.1", port=free_port())
    controller.start()
    mailers = {
        "default": {
            "BACKEND": "recallcases.notifications.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    with override_settings(MAILERS=mailers, OUTBOX_MAX_ATTEMPTS=1):
        yield
    controller.stop()


def test_failed_email_address_disclosure_refused(refusing_smtp, caplog, speaker):
    # given: a claim by Jordan, whose mail server refuses the address
    claim = ClaimFactory(product=speaker, email=JORDAN, status=S.SUBMITTED)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    email = OutboundEmail.objects.get(claim=claim)
    # when: the outbox tries it, for the last time
    with caplog.at_level(logging.DEBUG):
        assert deliver(email_id=email.pk)[0] == Outcome.FAILED
    # then: what is stored is the error's class and its SMTP code, not the address
    email.refresh_from_db()
    assert (email.state, email.last_error) == (EmailState.FAILED, "SMTPRecipientsRefused 550")
    # and: no log line of ours names it (the test's SMTP server, "mail.log", is not ours)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert any("outbox: email" in line for line in ours)
    assert not [line for line in ours if "jordan" in line.lower()]
    # and: the pages a reviewer, fulfilment or a manager open do not show it either
    for role in (REVIEWER, FULFILMENT, RECALL_MANAGER):
        client = Client()
        client.force_login(member_of(role))
        failed = client.get("/workspace/emails/failed/").content.decode()
        assert claim.reference in failed and "SMTPRecipientsRefused 550" in failed
        assert JORDAN not in failed
        if role == REVIEWER:
            assert (
                JORDAN not in client.get(f"/workspace/claims/{claim.reference}/").content.decode()
            )


def test_failed_email_recipient_disclosure_refused_without_contact_rights(speaker):
    # given: a recall notice to a known purchaser that failed (no claim: the row names the address)
    OutboundEmail.objects.create(
        kind=EmailKind.RECALL_NOTICE,
        recipient="pat.purchaser@example.com",
        dedupe_key="notice:test",
        message_id="<notice-test@recallcases>",
        next_attempt_at=timezone.now(),
        state=EmailState.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused 550",
    )
    pages = {}
    for role in (REVIEWER, FULFILMENT):
        client = Client()
        client.force_login(member_of(role))
        pages[role] = client.get("/workspace/emails/failed/").content.decode()
    # then: the reviewer reads that it failed, not to whom; fulfilment, who ships, may
    assert "pat.purchaser@example.com" not in pages[REVIEWER]
    assert "Recipient not shown to your role" in pages[REVIEWER]
    assert "pat.purchaser@example.com" in pages[FULFILMENT]


def test_failed_email_older_error_text_refused(speaker):
    # given: a row failed before errors were stored without their text
    claim = ClaimFactory(product=speaker, email=JORDAN)
    OutboundEmail.objects.create(
        claim=claim,
        kind=EmailKind.VERIFIED,
        dedupe_key="event:old",
        message_id="<old@recallcases>",
        next_attempt_at=timezone.now(),
        state=EmailState.FAILED,
        attempts=8,
        last_error=f"SMTPRecipientsRefused: {{'{JORDAN}': (550, b'5.1.1 User unknown')}}",
    )
    client = Client()
    client.force_login(member_of(REVIEWER))
    # then: its pages name the error's class, not the address it quoted
    for url in ("/workspace/emails/failed/", f"/workspace/claims/{claim.reference}/"):
        page = client.get(url).content.decode()
        assert "SMTPRecipientsRefused" in page and JORDAN not in page, url
