"""A call-centre agent files a claim for a caller in the workspace; the consumer, on their phone,
adds the label photo from the link we emailed them, and gets the step as a text too."""

import re

import pytest
import sms
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from recallcases.claims.models import Channel, Claim, ClaimStatus
from recallcases.workspace.roles import CALL_CENTRE_AGENT
from tests.conftest import restore_roles
from tests.images import jpeg_bytes
from tests.workspace.conftest import member_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent_page(browser, live_server, transactional_db):
    """A call-centre agent signed in (password and authenticator code) in a desktop window."""
    restore_roles()
    agent = member_of(CALL_CENTRE_AGENT, username="agent-sam")
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-CA")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    page.goto(f"{live_server.url}/workspace/login/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/workspace/two-factor/\?"))
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Verify").click()
    # an agent starts on the calls page, not on the queue they may not open
    page.wait_for_url(f"{live_server.url}/workspace/calls/")
    yield page
    context.close()


def test_an_agent_files_a_claim_and_the_consumer_adds_the_photo_from_the_email(
    live_server, speaker, agent_page, phone
):
    sms.outbox = []
    page = agent_page
    # when: the agent files a claim with what the caller reads out
    page.get_by_role("link", name=re.compile("New claim")).click()
    page.get_by_label("Serial number (SN code)").fill("a3102 dmx1 0000 055")
    page.locator("input[name=name]").fill("Camille Roy")
    page.locator("input[name=email]").fill("camille@example.ca")
    page.locator("input[name=phone]").fill("514 555-0199")
    page.locator("input[name=address_line1]").fill("1000, rue Sherbrooke Ouest")
    page.locator("input[name=city]").fill("Montréal")
    page.locator("select[name=country]").select_option("CA")
    page.locator("select[name=region]").select_option("QC")
    page.locator("input[name=postal_code]").fill("h3a 3g4")
    page.locator("select[name=language]").select_option("fr-ca")
    page.locator("input[name=text_opt_in]").check()
    page.locator("input[name=caller_consents]").check()
    page.get_by_role("button", name="File the claim").click()
    # then: the reference to read back, spelled
    page.wait_for_url(re.compile(r".*/workspace/calls/claims/[A-Z0-9-]+/\?filed=1$"))
    claim = Claim.objects.get()
    expect(page.locator("#read-back")).to_have_text(claim.reference)
    expect(page.locator("#spelled")).to_contain_text(" – ")
    expect(page.locator("#by-phone")).to_have_text("Filed by phone by agent-sam")
    assert claim.channel == Channel.PHONE and claim.status == ClaimStatus.INFORMATION_REQUESTED

    # and: the consumer is emailed a link to add the photos, and texted, in French
    asking = next(m for m in mail.outbox if "renseignements" in m.subject)
    assert asking.to == ["camille@example.ca"]
    link = next(word for word in asking.body.split() if "/status/" in word)
    assert any(claim.reference in text.body and "STOP" in text.body for text in sms.outbox)

    # when: on their phone, they open the emailed link and send the label photo
    phone.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    expect(phone.get_by_text("Nous avons pris votre réclamation par téléphone.")).to_be_visible()
    phone.locator("input[name=photo]").set_input_files(
        files=[{"name": "etiquette.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    phone.get_by_role("button", name="Envoyer").click()
    # then: the claim goes to the reviewers with its photo
    expect(phone.get_by_text("Merci. Nous avons bien reçu votre photo.")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESUBMITTED and claim.photos.count() == 1

    # and: the agent, reopening the claim, reads its new status and logs the call
    page.reload()
    expect(page.locator("#status")).to_have_text("Resubmitted")
    page.get_by_role("button", name="Log the call").click()
    expect(page.locator("#timeline tr.call")).to_have_count(2)  # the filing, and this one
    assert page.console_errors == [] and phone.console_errors == []
