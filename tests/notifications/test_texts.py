"""Status texts: written in the outbox with each step's email for a consumer who opted in, in
their language, with the reference and the status link only; STOP (a signed webhook) is honoured.
"""

import hashlib
import hmac

import pytest
import sms
from django.core.management import call_command
from django.urls import reverse

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.claims.models import ClaimStatus
from recallcases.claims.services import ClaimRefused, claim_submit
from recallcases.claims.transitions import Actor, claim_transition
from recallcases.core.phones import phone_e164
from recallcases.core.photo_pipeline import process_photo
from recallcases.notifications.models import Channel, EmailState, OutboundEmail, TextOptOut
from recallcases.notifications.services import Outcome, deliver
from recallcases.notifications.tokens import verification_code_shown
from recallcases.workspace.roles import REVIEWER
from tests.conftest import member_of
from tests.factories import consumer_details
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db

SECRET = "tests-only-texts-secret"  # tests.settings.TEXTS_INBOUND_SECRET
NUMBER = "+15145550199"


@pytest.fixture(autouse=True)
def _texts_outbox():
    sms.outbox = []
    yield
    sms.outbox = []


def file_claim(speaker, *, text_opt_in=True, serial="A3102DMX10000061", **details):
    return claim_submit(
        recall=speaker.recall,
        product=speaker,
        serial_as_typed=serial,
        details=consumer_details(phone="514 555-0199", **details),
        photo=process_photo(jpeg_bytes()),
        text_opt_in=text_opt_in,
    ).claim


def send_all() -> list[Outcome]:
    return [deliver(email_id=pk)[0] for pk in OutboundEmail.objects.values_list("pk", flat=True)]


def signed_post(client, data: dict, *, secret: str = SECRET):
    from urllib.parse import urlencode

    body = urlencode(data).encode()
    return client.generic(
        "POST",
        reverse("notifications:texts_inbound"),
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()},
    )


def test_a_consumer_who_opted_in_gets_each_step_as_a_text_in_their_language(speaker):
    # given: a French-speaking consumer who asked for texts
    claim = file_claim(speaker, language="fr-ca")
    assert (claim.text_number, claim.text_opt_in_at is not None) == (NUMBER, True)
    # when: the claim is filed and verified, and the outbox is sent
    claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=Actor.staff(member_of(REVIEWER))
    )
    send_all()
    # then: an email and a text per step, each sent once
    rows = OutboundEmail.objects.order_by("pk")
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "email", "text", "text"]
    assert set(rows.values_list("state", flat=True)) == {EmailState.SENT}
    assert [message.recipients for message in sms.outbox] == [[NUMBER], [NUMBER]]
    text = sms.outbox[-1].body
    # in French, with the reference and a working status link, and nothing personal
    assert claim.reference in text and "Répondez STOP" in text and "Vérifiée" in text
    link = next(word for word in text.split() if "/status/" in word)
    assert claim.name not in text and claim.email not in text and "Sherbrooke" not in text
    assert "514" not in text.replace(link, "")


def test_a_text_carries_its_verification_code_in_the_consumers_language(client, speaker):
    # given: a Spanish-speaking consumer who asked for texts, and their claim's first text sent
    claim = file_claim(speaker, language="es-us")
    send_all()
    row = OutboundEmail.objects.get(channel=Channel.TEXT)
    text = sms.outbox[-1].body
    # then: the text prints its own code, as emails do, in Spanish, and nothing personal
    code = verification_code_shown(row.verification_code)
    assert f"Código: {code}." in text and "Responda STOP" in text
    assert code != verification_code_shown(
        OutboundEmail.objects.get(channel="email").verification_code
    )
    assert claim.name not in text and claim.email not in text
    # and the verify page confirms it as a text
    page = client.post("/es-us/verify/", {"code": code}).content.decode()
    assert "Sí, nosotros enviamos este mensaje." in page
    assert "Un mensaje de texto a su número de celular" in page


def test_no_text_without_the_opt_in(speaker):
    file_claim(speaker, text_opt_in=False)
    assert not OutboundEmail.objects.filter(channel=Channel.TEXT).exists()
    send_all()
    assert sms.outbox == []


def test_texts_need_a_number_that_can_take_one(speaker):
    with pytest.raises(ClaimRefused) as refused:
        claim_submit(
            recall=speaker.recall,
            product=speaker,
            serial_as_typed="A3102DMX10000062",
            details=consumer_details(phone="011 555 0199 12"),
            photo=process_photo(jpeg_bytes()),
            text_opt_in=True,
        )
    assert refused.value.field == "phone"


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("(514) 555-0199", "CA", "+15145550199"),
        ("1-206-555-0143", "US", "+12065550143"),
        ("+1 206 555 0143", "US", "+12065550143"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("011 555 0199", "CA", None),  # an area code never starts with 0
        ("514 155 0199", "CA", None),  # nor an exchange with 1
        ("+12", "US", None),
        ("", "CA", None),
    ],
)
def test_phone_numbers_in_e164(typed, country, e164):
    assert phone_e164(typed, country=country) == e164


def test_the_claim_form_offers_texts_and_checks_the_number(client, speaker):
    from tests.consumer.test_pages import claim_form_data

    page = client.get("/en/anker-speakers-2024/claim/").content.decode()
    assert 'name="text_opt_in"' in page
    response = client.post(
        "/en/anker-speakers-2024/claim/",
        claim_form_data(product=speaker.pk, text_opt_in="on", phone="011 555 0199"),
    )
    assert "phone" in response.context["form"].errors


def test_stop_stops_every_text_to_the_number_and_cancels_those_not_sent(client, speaker):
    # given: a consumer with texts, and a text not sent yet
    claim = file_claim(speaker)
    pending = OutboundEmail.objects.get(channel=Channel.TEXT)
    # when: they reply STOP
    response = signed_post(client, {"From": NUMBER, "Body": " stop "})
    # then: the number is opted out, the pending text cancelled, the reply audited
    assert response.status_code == 204
    assert TextOptOut.objects.filter(number=NUMBER).exists()
    pending.refresh_from_db()
    assert pending.state == EmailState.CANCELLED
    assert AuditEntry.objects.filter(action=AuditAction.TEXTS_STOP).count() == 1
    assert NUMBER not in str(AuditEntry.objects.values_list("after", "subject_label"))
    # and: the next step writes its email, and no text
    claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=Actor.staff(member_of(REVIEWER))
    )
    assert OutboundEmail.objects.filter(channel=Channel.TEXT).count() == 1
    send_all()
    assert sms.outbox == []
    assert OutboundEmail.objects.filter(channel=Channel.EMAIL, state=EmailState.SENT).count() == 2


def test_a_text_written_before_stop_is_not_sent_after_it(speaker):
    # given: a text written, then STOP arriving by another way (the command) before it is sent
    file_claim(speaker)
    text = OutboundEmail.objects.get(channel=Channel.TEXT)
    TextOptOut.objects.create(number=NUMBER)
    # when: a worker picks it up
    outcome, _delay = deliver(email_id=text.pk)
    # then: it is cancelled, not sent, and never tried again
    text.refresh_from_db()
    assert (outcome, text.state) == (Outcome.SKIPPED, EmailState.CANCELLED)
    assert sms.outbox == []


def test_start_lets_texts_go_again(client, speaker):
    claim = file_claim(speaker)
    call_command("texts_reply", NUMBER, "STOP")
    assert TextOptOut.objects.exists()
    assert signed_post(client, {"From": NUMBER, "Body": "START"}).status_code == 204
    assert not TextOptOut.objects.exists()
    claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=Actor.staff(member_of(REVIEWER))
    )
    assert OutboundEmail.objects.filter(channel=Channel.TEXT, state=EmailState.PENDING).count() == 1


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("unsigned", 403),
        ("wrong secret", 403),
        ("no number", 400),
        ("get", 405),
        ("huge", 413),
    ],
)
def test_the_webhook_refuses_what_the_provider_did_not_send(client, speaker, how, status):
    file_claim(speaker)
    url = reverse("notifications:texts_inbound")
    if how == "unsigned":
        response = client.post(url, {"From": NUMBER, "Body": "STOP"})
    elif how == "wrong secret":
        response = signed_post(client, {"From": NUMBER, "Body": "STOP"}, secret="guess")
    elif how == "no number":
        response = signed_post(client, {"From": "", "Body": "STOP"})
    elif how == "get":
        response = client.get(url)
    else:
        response = signed_post(client, {"From": NUMBER, "Body": "STOP " + "x" * 20000})
    assert response.status_code == status
    assert not TextOptOut.objects.exists()


def test_the_webhook_does_not_exist_without_a_secret(client, settings):
    settings.TEXTS_INBOUND_SECRET = ""
    assert signed_post(client, {"From": NUMBER, "Body": "STOP"}, secret="").status_code == 404


def test_the_webhook_is_rate_limited(client, settings):
    settings.TEXTS_INBOUND_RATE = "2/m"
    answers = [signed_post(client, {"From": NUMBER, "Body": "hello"}).status_code for _ in range(3)]
    assert answers == [204, 204, 429]


def test_a_failed_text_is_listed_with_the_failed_emails_and_sent_again(
    client, speaker, django_capture_on_commit_callbacks
):
    # given: a text whose every try failed
    file_claim(speaker)
    text = OutboundEmail.objects.get(channel=Channel.TEXT)
    OutboundEmail.objects.filter(pk=text.pk).update(
        state=EmailState.FAILED, attempts=8, last_error="ProviderRefused"
    )
    client.force_login(member_of(REVIEWER))
    # then: staff see it among the failed messages, marked as a text, without the number
    page = client.get(reverse("workspace:failed_emails")).content.decode()
    assert 'data-channel="text"' in page and NUMBER not in page
    # and: sending it again sends it, once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("workspace:email_retry", args=[text.pk]))
    text.refresh_from_db()
    assert text.state == EmailState.SENT
    assert [m.recipients for m in sms.outbox] == [[NUMBER]]
