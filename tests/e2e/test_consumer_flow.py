"""A consumer on a phone, in French: check a serial, file a claim with a photo, follow it."""

import re

import pytest

from recallcases.claims.models import Claim, ClaimStatus
from tests.images import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consumer_checks_serial_files_claim_in_french_and_follows_it(
    live_server, recall, phone, tmp_path
):
    page = phone
    # The recall notice, in French.
    page.goto(f"{live_server.url}/fr-ca/{recall.slug}/")
    assert page.locator("html").get_attribute("lang") == "fr-ca"
    assert page.get_by_text("Cessez immédiatement d'utiliser le haut-parleur rappelé.").is_visible()

    # Check a serial, typed the way people type it.
    page.get_by_label("Numéro de série (code SN)").fill("a3102-dmx1-0000-042")
    page.locator("input[type=submit][name=check]").click()
    assert page.get_by_text("Oui, ce haut-parleur est rappelé.").is_visible()
    assert page.get_by_text("A3102DMX10000042").first.is_visible()

    # File the claim; the serial and product come from the check.
    page.locator(f'a[href="/fr-ca/{recall.slug}/claim/"]').first.click()
    assert page.get_by_label("Numéro de série (code SN)").input_value() == "A3102DMX10000042"
    page.locator("input[name=photo]").set_input_files(
        files=[{"name": "etiquette.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.locator("input[name=name]").fill("Camille Roy")
    page.locator("input[name=email]").fill("camille@example.ca")
    page.locator("input[name=phone]").fill("514 555-0199")
    page.locator("input[name=address_line1]").fill("1000, rue Sherbrooke Ouest")
    page.locator("input[name=city]").fill("Montréal")
    page.locator("select[name=country]").select_option("CA")
    page.locator("select[name=region]").select_option("QC")
    page.locator("input[name=postal_code]").fill("h3a 3g4")
    page.locator("select[name=language]").select_option("fr-ca")
    page.locator("input[name=consent]").check()
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()

    # The confirmation: a reference and the private link.
    page.wait_for_url(re.compile(r".*/claim/received/$"))
    claim = Claim.objects.get()
    assert page.locator("#reference").inner_text() == claim.reference
    status_link = page.locator("#status-link").get_attribute("href")
    assert "/fr-ca/status/" in status_link
    page.screenshot(path=tmp_path / "received.png", full_page=True)

    # The private link shows the claim's progress, in French.
    page.goto(status_link)
    assert claim.reference in page.locator("h1").inner_text()
    assert page.get_by_text("Réclamation reçue").is_visible()
    assert page.locator("img.img-thumbnail").evaluate("img => img.naturalWidth") > 0
    assert claim.status == ClaimStatus.SUBMITTED
    assert (claim.postal_code, claim.language, claim.region) == ("H3A 3G4", "fr-ca", "QC")
    assert page.console_errors == []
