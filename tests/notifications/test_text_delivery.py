"""A status text goes through the outbox as an email does: written in the step's transaction,
sent once by a real Celery worker, retried with backoff while the provider refuses (see
text_backends.py), and sent exactly once when it accepts. Every process is real (conftest.py).
"""

import pytest

from recallcases.claims.services import claim_submit
from recallcases.core.photo_pipeline import process_photo
from recallcases.notifications.models import Channel, EmailState, OutboundEmail
from recallcases.notifications.tasks import send_outbound_email
from tests.factories import consumer_details
from tests.images import jpeg_bytes
from tests.notifications.conftest import wait_for
from tests.notifications.test_delivery_integration import sweep

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres"),
]

NUMBER = "+15145550199"


@pytest.fixture
def text_provider(tmp_path, monkeypatch):
    """The workers' text backend, refusing until the test says otherwise; read before they start."""
    refuse = tmp_path / "refuse"
    refuse.touch()
    texts = tmp_path / "texts"
    monkeypatch.setenv(
        "SMS_BACKEND", "tests.notifications.text_backends.RefusingThenAcceptingBackend"
    )
    monkeypatch.setenv("SMS_FILE_PATH", str(texts))
    monkeypatch.setenv("DEFAULT_FROM_SMS", "+15145550000")
    monkeypatch.setenv("TEXTS_REFUSE_FILE", str(refuse))
    return refuse, texts


def sent_texts(folder) -> list[str]:
    if not folder.exists():
        return []
    blocks = []
    for path in sorted(folder.iterdir()):
        blocks += [b for b in path.read_text().split("-" * 79) if b.strip()]
    return blocks


def test_a_text_the_provider_refuses_then_accepts_is_sent_once(
    text_provider, celery_worker, smtp_server, speaker
):
    refuse, texts = text_provider
    worker = celery_worker()
    # given: a consumer who asked for texts files a claim (its email and text are published)
    claim = claim_submit(
        recall=speaker.recall,
        product=speaker,
        serial_as_typed="A3102DMX10000081",
        details=consumer_details(phone="514-555-0199"),
        photo=process_photo(jpeg_bytes()),
        text_opt_in=True,
    ).claim
    text = OutboundEmail.objects.get(claim=claim, channel=Channel.TEXT)
    # when: the provider refuses it twice
    wait_for(
        lambda: OutboundEmail.objects.filter(pk=text.pk, attempts__gte=2).exists(),
        "the worker to try the text twice",
    )
    text.refresh_from_db()
    assert text.state == EmailState.PENDING and text.last_error == "ProviderRefused"
    assert sent_texts(texts) == []
    # and: then accepts
    refuse.unlink()
    wait_for(
        lambda: OutboundEmail.objects.filter(pk=text.pk, state=EmailState.SENT).exists(),
        "the text to be sent",
    )
    # then: it was sent once, to the consumer's number, with the claim's reference
    [sent] = wait_for(lambda: sent_texts(texts), "the text in the provider's file")
    assert f"to: {NUMBER}" in sent and claim.reference in sent
    text.refresh_from_db()
    assert text.attempts >= 3 and text.last_error == ""
    # and: the email of the same step went its own way, once
    wait_for(lambda: smtp_server.mailbox.received(), "the email")
    assert len(smtp_server.mailbox.received()) == 1
    # and: a sweep later finds nothing more to send, and the duplicate task it might have been
    # (the broker delivers at least once) sends nothing
    assert sweep([worker]) == 0
    send_outbound_email.delay(text.pk)
    assert sweep([worker]) == 0
    assert len(sent_texts(texts)) == 1
    assert " failed for good" not in worker.text()
