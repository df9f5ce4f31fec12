"""Staff and a consumer, each in their own browser, take a claim to confirmed disposal.

A reviewer verifies it from the keyboard, a recall manager approves the replacement, fulfilment
records the shipment, the consumer (on a phone, in French) sends proof of disposal, and the
reviewer accepts it beside the claim's disposal code.
"""

import re

import pytest
from playwright.sync_api import expect

from recallcases.claims.models import ClaimStatus
from recallcases.workspace.roles import FULFILMENT, RECALL_MANAGER, REVIEWER
from tests.factories import add_photo, claim_with_link
from tests.images import jpeg_bytes
from tests.workspace.conftest import member_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = ClaimStatus


def test_claim_goes_from_verification_to_confirmed_disposal_in_the_browser(
    live_server, speaker, roles, staff_browser, phone
):
    # given: a consumer's claim with its label photo, and three staff members
    claim, token = claim_with_link(product=speaker)
    add_photo(claim)
    reviewer = staff_browser(member_of(REVIEWER))
    manager = staff_browser(member_of(RECALL_MANAGER))
    fulfilment = staff_browser(member_of(FULFILMENT))
    claim_page = f"{live_server.url}/workspace/claims/{claim.reference}/"
    queue = f"{live_server.url}/workspace/"

    # when: the reviewer opens the claim from the queue, sees the photo, and presses "v"
    reviewer.get_by_role("link", name=claim.reference).click()
    reviewer.wait_for_url(claim_page)
    assert reviewer.locator("img.claim-photo").evaluate("img => img.naturalWidth") > 0
    expect(reviewer.locator("#go-next")).to_be_checked()
    with reviewer.expect_navigation():
        reviewer.keyboard.press("v")
    # then: the claim is verified, and with no other claim to review "next" is the queue
    expect(reviewer.get_by_role("status")).to_have_text(f"{claim.reference} is now “Verified”.")
    expect(reviewer).to_have_url(queue)
    expect(reviewer.locator("#queue tbody tr")).to_have_count(1)
    expect(reviewer.locator("#queue tbody tr")).to_contain_text("Verified")

    # when: the recall manager approves the replacement from the queue
    manager.reload()
    manager.get_by_label(f"Select {claim.reference}").check()
    with manager.expect_navigation():
        manager.get_by_role("button", name="Approve replacement for the selected claims").click()
    # then
    expect(manager.get_by_role("status")).to_have_text("Replacement approved for 1 claim.")
    expect(manager.locator("#queue tbody tr")).to_contain_text("Replacement approved")

    # when: fulfilment finds it in the claims to ship and records the shipment
    fulfilment.get_by_role("link", name="Fulfilment").click()
    fulfilment.get_by_role("link", name=claim.reference).click()
    fulfilment.wait_for_url(claim_page)
    fulfilment.get_by_label("Carrier").select_option("Canada Post")
    fulfilment.get_by_label("Tracking number").fill("7023 2109 8765")
    with fulfilment.expect_navigation():
        fulfilment.get_by_role("button", name="Mark as shipped").click()
    # then
    expect(fulfilment.get_by_role("status")).to_have_text(f"{claim.reference} is shipped.")
    expect(fulfilment.locator("#claim-status")).to_have_text("Replacement shipped")
    expect(fulfilment.get_by_text("Shipped:")).to_contain_text("Canada Post 702321098765")

    # when: the consumer, on their phone, opens their link and sends a photo of the marked unit
    phone.goto(f"{live_server.url}/fr-ca/status/{token}/")
    expect(phone.locator("#disposal-code")).to_have_text(claim.disposal_code)
    phone.locator("input[name=photo]").set_input_files(
        files=[{"name": "elimination.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    phone.get_by_role("button", name="Envoyer").click()
    # then: they are thanked, in French, and see their photos
    expect(phone.get_by_text("Merci. Nous avons bien reçu votre photo.")).to_be_visible()
    expect(phone.locator("img.img-thumbnail")).to_have_count(2)

    # when: the reviewer opens the disposal proof waiting in the queue
    reviewer.get_by_role("link", name="Disposal proof").click()
    reviewer.wait_for_url(f"{queue}?status=disposal_submitted")
    reviewer.get_by_role("link", name=claim.reference).click()
    reviewer.wait_for_url(claim_page)
    # then: the disposal photo is shown with the code to look for beside it
    disposal_photo = reviewer.get_by_role("img", name="Proof of disposal")
    assert disposal_photo.evaluate("img => img.naturalWidth") > 0
    expect(reviewer.locator("#disposal-code")).to_be_visible()
    expect(reviewer.locator("#disposal-code")).to_have_text(claim.disposal_code)
    buttons = reviewer.locator("#claim-actions button").all_inner_texts()
    # when: they accept it with "d"
    with reviewer.expect_navigation():
        reviewer.keyboard.press("d")
    expect(reviewer.get_by_role("status")).to_have_text(
        f"{claim.reference} is now “Disposal confirmed”."
    )
    expect(reviewer).to_have_url(queue)

    # then: the claim went through every step, each by the right person, with no console error
    claim.refresh_from_db()
    assert claim.status == S.DISPOSAL_CONFIRMED
    events = list(claim.events.select_related("actor").order_by("created_at", "pk"))
    assert [(e.to_status, e.actor.username if e.actor else e.actor_kind) for e in events] == [
        (S.SUBMITTED, "consumer"),
        (S.VERIFIED, "reviewer"),
        (S.REPLACEMENT_APPROVED, "recall-manager"),
        (S.REPLACEMENT_SHIPPED, "fulfilment"),
        (S.DISPOSAL_SUBMITTED, "consumer"),
        (S.DISPOSAL_CONFIRMED, "reviewer"),
    ]
    pages = {"reviewer": reviewer, "manager": manager, "fulfilment": fulfilment, "phone": phone}
    assert {who: page.console_errors for who, page in pages.items()} == {who: [] for who in pages}
    # and: proof under review offers the reviewer one way to accept it and one to refuse it
    assert [re.sub(r"\s+", " ", b).strip() for b in buttons] == [
        "Accept disposal proof d",
        "Refuse proof, ask again a",
    ]
