"""The power bank recall's two-photo proof, in real browsers: the consumer sees where the label is
and an example of each photo, sends the label and the unit marked "recalled"; the reviewer opens
the claim, whose page shows both photos under their labels, and verifies it from the keyboard.
No page breaks the Content Security Policy (the phone fixture fails on any console error).
"""

import re

import pytest
from playwright.sync_api import expect

from recallcases.claims.models import Claim, ClaimStatus
from recallcases.workspace.roles import REVIEWER
from tests.images import jpeg_bytes
from tests.workspace.conftest import member_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The width of an image once it has loaded (0 if it failed): waits for a picture still on its way.
LOADED_WIDTH = (
    "img => img.complete ? img.naturalWidth : new Promise(done => {"
    " img.addEventListener('load', () => done(img.naturalWidth));"
    " img.addEventListener('error', () => done(0)); })"
)


def jpeg(name: str, color) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_bytes(color=color)}


def test_two_photo_proof_from_the_phone_to_verification(
    live_server,
    power_banks,
    roles,
    staff_browser,
    phone,
):
    page = phone
    # the check shows where the label is on the power bank
    page.goto(f"{live_server.url}/en/{power_banks.slug}/check/")
    label_picture = page.locator(".label-picture img")
    expect(label_picture).to_have_attribute("alt", re.compile("The back of the power bank"))
    assert label_picture.evaluate(LOADED_WIDTH) > 0
    page.get_by_label("Serial number (SN code)").fill("A1263PB0000042")
    page.locator("input[type=submit][name=check]").click()
    page.locator(f'a[href="/en/{power_banks.slug}/claim/"]').first.click()

    # the claim form: one upload per photo, each example picture shown
    for code in ("serial_label", "marked_unit"):
        example = page.locator(f"#proof-example-{code} img")
        assert example.evaluate(LOADED_WIDTH) > 0
    page.locator("input[name=photo]").set_input_files(files=[jpeg("label.jpg", (200, 30, 30))])
    page.locator("input[name=photo_marked_unit]").set_input_files(
        files=[jpeg("unit.jpg", (30, 30, 200))]
    )
    page.locator("input[name=name]").fill("Jordan Smith")
    page.locator("input[name=email]").fill("jordan@example.com")
    page.locator("input[name=phone]").fill("(206) 555-0143")
    page.locator("input[name=address_line1]").fill("1200 Pine St")
    page.locator("input[name=city]").fill("Seattle")
    page.locator("select[name=region]").select_option("WA")
    page.locator("input[name=postal_code]").fill("98101")
    page.get_by_label("Free replacement power bank (model A1388)").check()
    page.locator("input[name=consent]").check()
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/claim/received/$"))
    claim = Claim.objects.get(recall=power_banks)
    assert sorted(p.proof_item.code for p in claim.photos.all()) == ["marked_unit", "serial_label"]
    assert page.console_errors == []

    # the reviewer opens the claim: both photos under their labels, then "v" verifies it
    reviewer = staff_browser(member_of(REVIEWER))
    reviewer.goto(f"{live_server.url}/workspace/claims/{claim.reference}/")
    expect(reviewer.locator(".photo-label")).to_have_text(
        [
            "Photo of the label with the model and serial number",
            "Photo of the power bank marked “recalled”",
        ]
    )
    for image in reviewer.locator("img.claim-photo").all():
        assert image.evaluate(LOADED_WIDTH) > 0
    with reviewer.expect_navigation():
        reviewer.keyboard.press("v")
    expect(reviewer.get_by_role("status")).to_have_text(f"{claim.reference} is now “Verified”.")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VERIFIED
    assert reviewer.console_errors == []
