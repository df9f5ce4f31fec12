"""The private status link in a claim email: one per message, the same on every try."""

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from recallcases.claims.models import ClaimLink
from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.tokens import hash_access_token
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.notifications.services import Outcome, deliver
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

MAIL_SERVER_DOWN = {
    "default": {
        "BACKEND": "recallcases.notifications.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}


def _try(email: OutboundEmail) -> Outcome:
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    return deliver(email_id=email.pk)[0]


@override_settings(OUTBOX_MAX_ATTEMPTS=5)
def test_an_email_tried_four_times_leaves_one_link_that_opens_the_claim(client, speaker):
    # given: a claim's email, whose first three tries fail (the mail server is down)
    claim = ClaimFactory(product=speaker, status=S.SUBMITTED)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    email = OutboundEmail.objects.get(claim=claim)
    with override_settings(MAILERS=MAIL_SERVER_DOWN):
        assert [_try(email) for _ in range(3)] == [Outcome.RETRY] * 3
    # when: the fourth goes through
    assert _try(email) == Outcome.SENT
    # then: one live link for that email, the one it carries, which opens the claim's page
    assert ClaimLink.objects.filter(claim=claim).count() == 1
    link = next(word for word in mail.outbox[0].body.split() if "/status/" in word)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert ClaimLink.objects.get(claim=claim).token_hash == hash_access_token(token)
    page = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200 and claim.reference in page.content.decode()
    email.refresh_from_db()
    assert (email.state, email.attempts) == (EmailState.SENT, 4)


def test_each_email_of_a_claim_has_a_link_of_its_own(speaker):
    claim = ClaimFactory(product=speaker, status=S.SUBMITTED)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    claim_transition(claim_id=claim.pk, to_status=S.REPLACEMENT_APPROVED, actor=SYSTEM)
    for email in OutboundEmail.objects.filter(claim=claim):
        assert deliver(email_id=email.pk)[0] == Outcome.SENT
    links = [
        next(word for word in message.body.split() if "/status/" in word) for message in mail.outbox
    ]
    assert len(set(links)) == 2
    assert ClaimLink.objects.filter(claim=claim).count() == 2
