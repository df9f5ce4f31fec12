"""The consumer's pages, as a consumer's browser sees them."""

import re

import pytest
from django.urls import reverse

from recallcases.claims.models import Claim, ClaimPhoto, ClaimStatus
from recallcases.claims.transitions import SYSTEM, claim_transition
from tests.factories import claim_with_link, staff_user
from tests.images import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db

RECALL = "/en/anker-speakers-2024/"
RECALL_FR = "/fr-ca/anker-speakers-2024/"


def claim_form_data(**overrides):
    data = {
        "serial": "A3102DMX10000042",
        "product": "",
        "name": "Jordan Smith",
        "email": "jordan@example.com",
        "phone": "(206) 555-0143",
        "address_line1": "1200 Pine St",
        "address_line2": "Apt 4",
        "city": "Seattle",
        "country": "US",
        "region": "WA",
        "postal_code": "98101",
        "language": "en",
        "purchase_date": "2023-06-14",
        "order_number": "112-1234567-1234567",
        "consent": "on",
        "photo": photo_upload(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_claim(client, speaker, url=RECALL + "claim/", **overrides):
    return client.post(url, claim_form_data(product=speaker.pk, **overrides))


def test_landing_page_tells_the_hazard_and_what_to_do(client, recall):
    page = client.get(RECALL).content.decode()
    assert "lithium-ion battery can overheat" in page
    assert "Stop using the recalled speaker immediately." in page
    assert "Never throw it in the household trash" in page
    assert "underside of the speaker" in page
    assert "A3302011, A3302031" in page
    assert 'href="/fr-ca/anker-speakers-2024/"' in page  # the language switch
    assert "800-988-7973" in page


def test_landing_page_tells_the_incidents_reported_in_each_language(client, recall):
    # The recall's incident summary used to be hidden by the reverse relation to incidents.
    page = client.get(RECALL).content.decode()
    french = client.get(RECALL_FR).content.decode()
    assert "33 reports of the batteries overheating" in page
    assert "33 signalements de batteries" in french
    assert "Incident.None" not in page + french


def test_landing_page_in_french(client, recall):
    page = client.get(RECALL_FR).content.decode()
    assert 'lang="fr-ca"' in page
    assert "Cessez immédiatement d&#x27;utiliser le haut-parleur rappelé." in page
    assert "Ne le jetez jamais aux ordures ménagères" in page
    assert "Ce haut-parleur est-il rappelé?" in page or "Mon haut-parleur" in page


def test_home_redirects_to_the_only_open_recall(client, recall):
    assert client.get("/en/").url == RECALL


def test_serial_check_recalled(client, recall):
    response = client.post(RECALL + "check/", {"serial": "a3102-dmx1-0000-042"})
    page = response.content.decode()
    assert "Yes, this speaker is recalled." in page
    assert "A3102DMX10000042" in page
    assert "Anker Soundcore Bluetooth speaker (black)" in page
    assert reverse("consumer:claim_create", args=[recall.slug]) in page


def test_serial_check_not_recalled(client, recall):
    page = client.post(RECALL + "check/", {"serial": "A3102DMX10000501"}).content.decode()
    assert "This speaker is not part of the recall." in page


def test_serial_check_wrong_length_is_not_affected(client, recall):
    page = client.post(RECALL + "check/", {"serial": "A3102DMX1000042"}).content.decode()
    assert "This serial number is not affected." in page
    assert "You typed 15 characters" in page


def test_serial_check_tells_the_consumer_o_was_read_as_zero(client, recall):
    page = client.post(RECALL + "check/", {"serial": "A31O2DMX10000042"}).content.decode()
    assert "never use the letter O: we read it as the digit 0" in page
    assert "Yes, this speaker is recalled." in page


def test_serial_check_says_nothing_of_existing_claims(client, recall, speaker):
    # given: a claim exists for one recalled serial, none for its neighbour
    claim_with_link(product=speaker, serial="A3102DMX10000042")
    # when
    claimed = client.post(RECALL + "check/", {"serial": "A3102DMX10000042"}).content.decode()
    unclaimed = client.post(RECALL + "check/", {"serial": "A3102DMX10000043"}).content.decode()

    # then: the two answers differ only by the serial itself (and the form's CSRF token)
    def comparable(page, serial):
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        return page.replace(serial, "X")

    assert comparable(claimed, "10000042") == comparable(unclaimed, "10000043")


def test_serial_check_puts_no_serial_in_the_address(client, recall):
    page = client.get(RECALL + "check/").content.decode()
    assert re.search(r'<form method="post" action="/en/anker-speakers-2024/check/"', page)


def test_claim_form_prefilled_from_the_serial_check(client, recall, speaker):
    client.post(RECALL + "check/", {"serial": "A3102DMX10000042"})
    page = client.get(RECALL + "claim/").content.decode()
    assert 'value="A3102DMX10000042"' in page
    assert f'<option value="{speaker.pk}" selected>' in page


def test_claim_form_opens_the_camera_and_asks_for_consent(client, recall):
    page = client.get(RECALL + "claim/").content.decode()
    assert re.search(r'<input type="file" name="photo"[^>]*accept="image/\*"', page)
    assert 'capture="environment"' in page
    assert "Privacy notice: what we keep and for how long" in page
    assert "six years" in page


def test_claim_submit_then_status_link(client, recall, speaker):
    # when
    response = file_claim(client, speaker)
    # then: the confirmation page, with the reference and the private link
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    claim = Claim.objects.get()
    assert claim.reference in page
    link = re.search(r'id="status-link">(http://testserver/en/status/[^<]+)<', page).group(1)
    # and the link opens that claim
    status = client.get(link.removeprefix("http://testserver")).content.decode()
    assert claim.reference in status
    assert "Claim received" in status
    assert claim.postal_code == "98101" and claim.phone == "(206) 555-0143"


def test_claim_submit_failed_keeps_typed_values_but_not_the_photo(client, recall, speaker):
    response = file_claim(client, speaker, postal_code="9810", email="not-an-email")
    page = response.content.decode()
    assert response.status_code == 200
    assert not Claim.objects.exists()
    assert "Enter a ZIP code of 5 digits" in page
    assert "Enter a valid email address." in page
    for typed in ["Jordan Smith", "1200 Pine St", "Seattle", "A3102DMX10000042", "9810"]:
        assert f'value="{typed}"' in page
    assert "please choose your photo again" in page


def test_claim_submit_missing_fields_named(client, recall, speaker):
    response = client.post(RECALL + "claim/", {"product": speaker.pk})
    page = response.content.decode()
    assert page.count("This field is required.") >= 9
    assert not Claim.objects.exists()


def test_claim_submit_fake_photo_refused_beside_its_field(client, recall, speaker):
    fake = photo_upload(name="label.jpg", content=b"<html><script>alert(1)</script></html>")
    page = file_claim(client, speaker, photo=fake).content.decode()
    assert "not a photo we can read" in page.lower() or "jpeg, png, webp or heic" in page.lower()
    assert not Claim.objects.exists()


def test_claim_submit_serial_not_recalled_refused(client, recall, speaker):
    page = file_claim(client, speaker, serial="A3102DMX10000501").content.decode()
    assert "This serial number is not part of the recall." in page
    assert not Claim.objects.exists()


def test_claim_submit_twice_gives_one_claim_and_a_clear_message(client, recall, speaker):
    first = file_claim(client, speaker)
    second = file_claim(client, speaker)
    assert first.status_code == 302
    assert "A claim for this serial number is already open." in second.content.decode()
    assert Claim.objects.count() == 1


def test_claim_submit_canadian_address_in_french(client, recall, speaker):
    response = file_claim(
        client,
        speaker,
        url=RECALL_FR + "claim/",
        country="CA",
        region="QC",
        postal_code="h3a3g4",
        city="Montréal",
        language="fr-ca",
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.postal_code, claim.language) == ("H3A 3G4", "fr-ca")


def test_claim_submit_province_and_postal_code_must_agree(client, recall, speaker):
    page = file_claim(
        client, speaker, country="CA", region="BC", postal_code="K1A 0B1"
    ).content.decode()
    assert "not in the province you chose" in page


def test_status_page_unknown_token_is_404(client, recall):
    assert client.get("/en/status/not-a-real-token-at-all-0123456789/").status_code == 404


def test_status_page_shows_timeline_in_french(client, recall, speaker):
    claim, token = claim_with_link(product=speaker, language="fr-ca")
    claim_transition(claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=SYSTEM)
    page = client.get(f"/fr-ca/status/{token}/").content.decode()
    assert claim.reference in page
    assert 'class="done"' in page
    assert 'class="current"' in page


def test_status_page_takes_the_upload_it_asks_for(client, recall, speaker):
    # given: a reviewer asked for a clearer photo
    claim, token = claim_with_link(product=speaker)
    claim_transition(
        claim_id=claim.pk,
        to_status=ClaimStatus.INFORMATION_REQUESTED,
        actor=SYSTEM,
        note="The label is blurry: please send a sharper photo.",
    )
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "The label is blurry: please send a sharper photo." in page
    assert 'name="photo"' in page
    # when
    response = client.post(
        f"/en/status/{token}/",
        {
            "action": "upload",
            "photo": photo_upload(),
            "serial": "",
            "note": "Here it is.",
            "version": 2,
        },
    )
    # then
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESUBMITTED
    assert claim.photos.count() == 1
    assert "We received your photo" in client.get(response.url).content.decode()


def test_status_page_upload_on_a_changed_claim_refused(client, recall, speaker):
    claim, token = claim_with_link(product=speaker)
    claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.INFORMATION_REQUESTED, actor=SYSTEM, note="More"
    )
    stale = {"action": "upload", "photo": photo_upload(), "serial": "", "note": "", "version": 1}
    page = client.post(f"/en/status/{token}/", stale).content.decode()
    assert "changed by someone else" in page
    assert ClaimPhoto.objects.count() == 0


def test_status_page_without_pending_request_has_no_upload(client, recall, speaker):
    _, token = claim_with_link(product=speaker)
    assert 'name="photo"' not in client.get(f"/en/status/{token}/").content.decode()
    client.post(f"/en/status/{token}/", {"action": "upload", "photo": photo_upload(), "version": 1})
    assert ClaimPhoto.objects.count() == 0


def test_photo_served_only_to_whom_may_see_it(client, recall, speaker):
    # given: a claim filed from one browser
    file_claim(client, speaker)
    photo = ClaimPhoto.objects.get()
    url = reverse("claim_photo", args=[photo.pk, "image"])
    # then: that browser sees it, with headers that stop sniffing and caching
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # an anonymous stranger does not
    from django.test import Client

    assert Client().get(url).status_code == 404
    # and nothing serves the stored file at an address of its own
    assert Client().get("/" + photo.image.name).status_code == 404
    assert Client().get("/media/" + photo.image.name).status_code == 404
    # staff without the right to see claims do not; staff with it do
    stranger_staff = Client()
    stranger_staff.force_login(staff_user())
    assert stranger_staff.get(url).status_code == 404
    reviewer = Client()
    reviewer.force_login(staff_user("claims.view_claim_photos"))
    assert reviewer.get(url).status_code == 200


def test_photo_unknown_variant_is_404(client, recall, speaker):
    file_claim(client, speaker)
    photo = ClaimPhoto.objects.get()
    assert client.get(f"/photos/{photo.pk}/original/").status_code == 404


def test_pages_carry_a_content_security_policy(client, recall):
    policy = client.get(RECALL)["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


def test_status_link_token_never_logged(client, recall, speaker, caplog):
    from recallcases.core.log_filters import RedactStatusTokens

    _, token = claim_with_link(product=speaker)
    import logging

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET /en/status/%s/ HTTP/1.1" 200',
        (token,),
        None,
    )
    RedactStatusTokens().filter(record)
    assert token not in record.getMessage()
    assert "/en/status/[redacted]/" in record.getMessage()


def test_claim_form_photo_is_reencoded_without_gps(client, recall, speaker):
    import io

    from PIL import Image

    # given: a phone photo with GPS coordinates in its EXIF
    image = Image.new("RGB", (640, 480), (10, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {2: (45.0, 25.0, 0.0), 1: "N"}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    assert b"Exif" in buffer.getvalue()
    # when
    file_claim(client, speaker, photo=photo_upload(content=buffer.getvalue()))
    # then
    stored = ClaimPhoto.objects.get().image.open("rb").read()
    assert b"Exif" not in stored and b"GPS" not in stored
    assert stored != jpeg_bytes()


def test_status_page_queries_do_not_grow_with_the_claims_history(client, recall, speaker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recallcases.claims.models import ClaimEvent

    def queries_for(token):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/en/status/{token}/").status_code == 200
        return len(captured)

    _, first_token = claim_with_link(product=speaker)
    _, short_token = claim_with_link(product=speaker)
    long, long_token = claim_with_link(product=speaker)
    for _ in range(20):
        ClaimEvent.objects.create(claim=long, actor_kind="system", to_status=long.status)
    queries_for(first_token)  # the recall is kept from here on
    # Each claim's progress rendered (not yet kept), then read from the cache.
    assert queries_for(long_token) == queries_for(short_token)
    assert queries_for(long_token) == queries_for(short_token) == 1


def test_status_link_opens_in_the_language_chosen_for_the_claim(client, recall, speaker):
    response = file_claim(client, speaker, language="fr-ca")
    page = client.get(response.url).content.decode()
    assert re.search(r'id="status-link">http://testserver/fr-ca/status/', page)


def test_status_page_asks_for_disposal_proof_with_the_claims_code(client, recall, speaker):
    # given: the replacement shipped (the recall ships first, then asks for proof)
    claim, token = claim_with_link(product=speaker, status=ClaimStatus.REPLACEMENT_SHIPPED)
    # when
    page = client.get(f"/en/status/{token}/").content.decode()
    # then: the code to write on the unit, the date, RECALLED, and where to drop it off
    assert claim.disposal_code in page
    assert "the word RECALLED" in page
    assert "call2recycle.ca" in page  # the factory's consumer lives in Canada
    response = client.post(
        f"/en/status/{token}/",
        {"action": "upload", "photo": photo_upload(), "note": "", "version": claim.version},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DISPOSAL_SUBMITTED
    assert claim.photos.get().kind == "disposal"


def test_status_page_asks_for_disposal_before_shipping_where_the_recall_says(
    client, recall, speaker
):
    recall.disposal_before_shipping = True
    recall.save()
    claim, token = claim_with_link(product=speaker, status=ClaimStatus.REPLACEMENT_APPROVED)
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "Before we ship it, dispose of the recalled speaker" in page
    assert claim.disposal_code in page


def test_consumer_withdraws_a_claim(client, recall, speaker):
    claim, token = claim_with_link(product=speaker)
    assert "Withdraw this claim" in client.get(f"/en/status/{token}/").content.decode()
    # without ticking the confirmation, nothing happens
    client.post(f"/en/status/{token}/", {"action": "withdraw", "version": 1})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    # with it, the claim is withdrawn and the serial is free for a new claim
    client.post(f"/en/status/{token}/", {"action": "withdraw", "confirm": "on", "version": 1})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    assert "You withdrew this claim." in client.get(f"/en/status/{token}/").content.decode()


def test_consumer_cannot_withdraw_after_shipping(client, recall, speaker):
    _, token = claim_with_link(product=speaker, status=ClaimStatus.REPLACEMENT_SHIPPED)
    assert "Withdraw this claim" not in client.get(f"/en/status/{token}/").content.decode()
