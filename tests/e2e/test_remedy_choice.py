"""A consumer on a phone chooses a gift card for a recalled power bank, and receives its code."""

import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from recallcases.claims.models import Claim, ClaimStatus, RemedyCode
from recallcases.claims.services import claim_photo_seen
from recallcases.claims.services.codes import remedy_codes_import
from recallcases.claims.transitions import CONSUMER, Actor, claim_transition
from recallcases.recalls.demo import POWER_BANK_FILE
from recallcases.recalls.services import recall_load, registry_import
from recallcases.workspace.roles import RECALL_MANAGER
from tests.conftest import member_of
from tests.images import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consumer_chooses_a_gift_card_on_a_phone(live_server, phone, tmp_path):
    # given: the power bank recall, its serials, and a pool of gift card codes
    recall = recall_load(
        data=json.loads(POWER_BANK_FILE.read_text(encoding="utf-8")),
        base_dir=POWER_BANK_FILE.parent,
    )
    registry_import(
        recall=recall,
        rows=[
            {"model": "A1263", "first_serial": "A1263PB0000001", "last_serial": "A1263PB0000100"}
        ],
    )
    manager = member_of(RECALL_MANAGER)
    remedy_codes_import(
        file=SimpleUploadedFile("codes.csv", b"code\nPHONE-GIFT-0042\n"),
        recall=recall,
        remedy="gift_card",
        actor=Actor.staff(manager),
    )
    page = phone
    # when: the consumer fills the claim form on a phone and chooses the gift card
    page.goto(f"{live_server.url}/en/{recall.slug}/claim/")
    page.get_by_label("Serial number (SN code)").fill("A1263PB0000042")
    gift_card = page.get_by_label("$30 gift card")
    gift_card.scroll_into_view_if_needed()
    assert gift_card.is_visible() and page.get_by_label("Free replacement power bank").is_visible()
    gift_card.check()
    page.locator("input[name=photo]").set_input_files(
        files=[{"name": "label.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    # the power bank marked "recalled", the date and the owner's name: the second proof photo
    page.locator("input[name=photo_marked_unit]").set_input_files(
        files=[{"name": "unit.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.locator("input[name=name]").fill("Sam Rivera")
    page.locator("input[name=email]").fill("sam@example.com")
    page.locator("input[name=phone]").fill("(206) 555-0143")
    page.locator("input[name=address_line1]").fill("1200 Pine St")
    page.locator("input[name=city]").fill("Seattle")
    page.locator("select[name=region]").select_option("WA")
    page.locator("input[name=postal_code]").fill("98101")
    page.locator("select[name=language]").select_option("en")
    page.locator("input[name=consent]").check()
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/claim/received/$"))
    claim = Claim.objects.get()
    assert claim.remedy == "gift_card"
    # the page fits the phone: nothing wider than the window
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    status_link = page.locator("#status-link").get_attribute("href")
    page.goto(status_link)
    assert page.locator("#claim-remedy").inner_text() == "Your remedy: $30 gift card"

    # when: staff verify and approve; the consumer disposes of it first; staff accept the proof
    staff = Actor.staff(manager)
    for photo in claim.photos.all():  # the photos the recall wants seen before verifying
        claim_photo_seen(photo=photo, user=manager)
    for status, actor in [
        (ClaimStatus.VERIFIED, staff),
        (ClaimStatus.REPLACEMENT_APPROVED, staff),
        (ClaimStatus.DISPOSAL_SUBMITTED, CONSUMER),
        (ClaimStatus.DISPOSAL_CONFIRMED, staff),
    ]:
        claim_transition(claim_id=claim.pk, to_status=status, actor=actor)

    # then: the code went by email, once; the page says so, without the code or a replacement
    assert RemedyCode.objects.get(claim=claim).code == "PHONE-GIFT-0042"
    sent = [m for m in mail.outbox if "PHONE-GIFT-0042" in m.body]
    assert len(sent) == 1 and sent[0].to == ["sam@example.com"]
    page.reload()
    assert page.get_by_text("Code sent by email").is_visible()
    body = page.locator("body").inner_text()
    assert "PHONE-GIFT-0042" not in body and "replacement" not in body.lower()
    page.screenshot(path=tmp_path / "gift-card-sent.png", full_page=True)
    assert page.console_errors == []
