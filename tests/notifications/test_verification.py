"""'Is this message really from the recall?': every message carries a verification code, and a
public page says whether we sent it, when and about what, without personal data."""

import datetime
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from recallcases.claims.models import ClaimStatus
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.incidents.services import incident_report
from recallcases.notices.models import Purchaser
from recallcases.notifications.emails import CONTENT, KINDS, compose, verification_context
from recallcases.notifications.models import Channel, EmailKind, EmailState, OutboundEmail
from recallcases.notifications.selectors import VerificationAnswer, message_verification
from recallcases.notifications.services import outbox_write
from recallcases.notifications.tokens import (
    VERIFICATION_ALPHABET,
    new_verification_code,
    verification_code_shown,
)
from tests.factories import OutboundEmailFactory, claim_with_link, notice_email_for
from tests.incidents.test_report import details

pytestmark = pytest.mark.django_db
VERIFY = "/en/verify/"


def shown(email: OutboundEmail) -> str:
    return verification_code_shown(email.verification_code)


def sent(email: OutboundEmail, *, days_ago: int = 1) -> OutboundEmail:
    email.state = EmailState.SENT
    email.sent_at = timezone.now() - datetime.timedelta(days=days_ago)
    email.save()
    return email


def test_codes_are_short_and_unambiguous():
    codes = {new_verification_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 8 and set(code) <= set(VERIFICATION_ALPHABET)
        assert not set(code) & set("0O1IL5S2Z")


def test_every_outbox_row_gets_its_own_code(speaker):
    claim, _token = claim_with_link(product=speaker)
    claim_transition(claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=SYSTEM)
    outbox_write(kind=EmailKind.DISPOSAL_REMINDER, dedupe_key="reminder", claim=claim)
    codes = list(OutboundEmail.objects.values_list("verification_code", flat=True))
    assert len(codes) == 2 and len(set(codes)) == 2 and all(codes)


@pytest.mark.parametrize("kind", list(CONTENT))
def test_every_claim_email_prints_its_code_and_the_page(speaker, kind):
    claim, _token = claim_with_link(product=speaker, language="fr-ca")
    email = OutboundEmailFactory(kind=kind, claim=claim)
    message = compose(email)
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert shown(email) in text
        assert "http://testserver/fr-ca/verify/" in text or "/fr-ca/verify/" in text
        assert "carte" in text  # « ... ni de renseignements de carte »


def test_notices_and_alerts_print_their_code_too(recall):
    purchaser = Purchaser.objects.create(recall=recall, email="p@example.com", country="US")
    incident_report(recall=recall, details=details(kinds=frozenset({"fire"})))
    emails = [
        notice_email_for(purchaser),
        notice_email_for(purchaser, kind=EmailKind.NOTICE_REMINDER),
        OutboundEmail.objects.get(kind=EmailKind.INCIDENT_ALERT),
        outbox_write(
            kind=EmailKind.CODE_POOL_LOW,
            dedupe_key="pool-low-test",
            recipient="manager@example.com",
            context={"recall": recall.pk, "remedy": "gift_card"},
        ),
    ]
    for email in emails:
        message = compose(email)
        assert shown(email) in message.body, email.kind
        for html, _type in message.alternatives:
            assert shown(email) in html, email.kind
    # every kind of email any app registered is one of those tested here
    assert set(KINDS) == {*CONTENT, *(email.kind for email in emails)}


def test_the_page_confirms_a_real_code_without_personal_data(client, speaker):
    # given: a sent email about a claim
    claim, _token = claim_with_link(product=speaker, name="Jordan Smith", email="jo@example.com")
    email = sent(OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim))
    # when: its code is typed as a consumer might (lower case, spaces)
    typed = " " + shown(email).lower().replace("-", " ") + " "
    page = client.post(VERIFY, {"code": typed}).content.decode()
    # then: yes, which message, when, which claim (its reference's end) and recall
    verdict = re.search(r'id="verdict".*?</div>', page, re.S).group(0)
    assert "Yes, we sent this message." in verdict
    assert "Claim verified" in verdict
    assert claim.reference[-4:] in verdict
    assert claim.reference not in page
    assert speaker.recall.title in verdict
    for personal in ("Jordan", "Smith", "jo@example.com", claim.serial, claim.city):
        assert personal not in page
    assert "never asks for payment" in page


def test_the_page_confirms_a_status_texts_code_as_a_text(client, speaker):
    # given: a status text sent about a claim, and the step's email (another code)
    claim, _token = claim_with_link(product=speaker, name="Jordan Smith", phone="514 555-0199")
    text = sent(OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim, channel=Channel.TEXT))
    email = sent(OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim))
    # when: the text's code is typed
    page = client.post(VERIFY, {"code": shown(text)}).content.decode()
    # then: yes, a text message (not an email), its step and the claim's reference end only
    verdict = re.search(r'id="verdict".*?</div>', page, re.S).group(0)
    assert "Yes, we sent this message." in verdict
    assert "A text message to your mobile number (“Claim verified”)" in verdict
    assert claim.reference[-4:] in verdict and claim.reference not in page
    for personal in ("Jordan", "514", "555-0199"):
        assert personal not in page
    # and the email's code is still described as the email
    page = client.post(VERIFY, {"code": shown(email)}).content.decode()
    assert "“Claim verified”, sent on" in page and "A text message" not in page


def test_the_page_says_an_unknown_code_is_not_ours(client, speaker):
    claim, _token = claim_with_link(product=speaker)
    sent(OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim))
    for typed in ("ABCD-EFGH", "0000-0000", "x" * 20, "%(code)s", "<script>"):
        page = client.post(VERIFY, {"code": typed}).content.decode()
        assert "We did not send a message with this code." in page, typed
        assert "<script>" not in page.split("<main", 1)[1].split("</main>")[0].replace(
            "&lt;script&gt;", ""
        )


def test_the_page_says_an_old_code_is_too_old(client, speaker):
    # given: an email sent longer ago than the recall keeps its emails' records (12 months)
    claim, _token = claim_with_link(product=speaker)
    email = sent(OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim), days_ago=400)
    # when
    page = client.post(VERIFY, {"code": shown(email)}).content.decode()
    # then: neither yes nor no, and nothing of the message
    assert "This code is too old to check." in page
    assert "Claim verified" not in page
    assert claim.reference[-4:] not in page.split('id="verdict"')[1]


def test_an_email_not_sent_yet_is_not_confirmed(speaker):
    claim, _token = claim_with_link(product=speaker)
    email = OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim)  # pending
    answer = message_verification(code=email.verification_code, now=timezone.now())
    assert answer.answer == VerificationAnswer.UNKNOWN


def test_a_recall_notice_is_confirmed_with_its_recall(client, recall):
    purchaser = Purchaser.objects.create(recall=recall, email="p@example.com", country="US")
    email = sent(notice_email_for(purchaser))
    page = client.post("/fr-ca/verify/", {"code": shown(email)}).content.decode()
    assert "Oui, nous avons envoyé ce message." in page
    assert escape(recall.title_fr) in page
    assert "p@example.com" not in page


def test_the_page_is_in_spanish(client):
    page = client.get("/es-us/verify/").content.decode()
    assert "¿Este mensaje es realmente del retiro?" in page
    assert "nunca pide pagos" in page


def test_the_page_is_rate_limited(client, settings):
    settings.MESSAGE_VERIFY_RATE = "3/h"
    answers = [client.post(VERIFY, {"code": "ABCD-EFGH"}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]


def test_the_code_is_never_in_the_address(client):
    page = client.get(VERIFY).content.decode()
    assert 'method="post"' in page


def test_verification_context_in_the_active_language(speaker):
    claim, _token = claim_with_link(product=speaker)
    email = OutboundEmailFactory(kind=EmailKind.VERIFIED, claim=claim)
    from django.utils import translation

    with translation.override("es-us"):
        context = verification_context(email)
    assert context["verify_url"].endswith("/es-us/verify/")
    assert context["verification_code"] == shown(email)
