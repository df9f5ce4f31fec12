"""What the public pages cost in queries, and that what made them cheaper changed nothing a
consumer sees: the checked serial in a signed cookie, the recall from the cache, forms rendered
once (bench/public_pages.py times them; docs/adr/0010-public-pages-speed.md says why)."""

import json
import re
import time
from unittest import mock

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

import recallcases.consumer.views
from recallcases.claims.models import Claim, ClaimPhoto, ClaimStatus, Shipment
from recallcases.claims.services import claim_links_revoke
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.consumer.views import (
    OPENED_CLAIMS_COOKIE,
    OPENED_CLAIMS_SALT,
    SUBMITTED_CLAIM_TTL,
)
from recallcases.recalls.models import Recall
from tests.consumer.test_pages import RECALL, RECALL_FR, claim_form_data, file_claim
from tests.factories import add_photo, claim_with_link

pytestmark = pytest.mark.django_db

RECALLED = "A3102DMX10000042"
NOT_RECALLED = "A3102DMX10000501"


def check(client, serial, url=RECALL + "check/"):
    return client.post(url, {"serial": serial})


def warm(client) -> None:
    """A first visit: the recall is read from the database once and kept for every page."""
    assert client.get(RECALL).status_code == 200


def test_recall_page_reads_nothing_from_the_database_once_the_recall_is_cached(
    client, recall, django_assert_num_queries
):
    with django_assert_num_queries(3):  # the recall, its products, its proof items
        page = client.get(RECALL).content.decode()
    with django_assert_num_queries(0):
        again = client.get(RECALL).content.decode()
    assert "lithium-ion battery can overheat" in again
    assert again.count('name="serial"') == page.count('name="serial"') == 1


@pytest.mark.parametrize("serial", [RECALLED, NOT_RECALLED])
def test_serial_check_is_one_registry_query_and_writes_no_session(
    client, recall, serial, django_assert_num_queries
):
    warm(client)
    with django_assert_num_queries(1):
        response = check(client, serial)
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    # The form keeps what was typed.
    assert f'value="{serial}"' in response.content.decode()


def test_claim_form_reads_nothing_and_is_filled_in_from_the_check(
    client, recall, speaker, django_assert_num_queries
):
    warm(client)
    check(client, RECALLED)
    # The first of this shape is rendered (the product list: two queries), then kept.
    with django_assert_num_queries(2):
        client.get(RECALL + "claim/")
    with django_assert_num_queries(0):
        page = client.get(RECALL + "claim/").content.decode()
    assert f'value="{RECALLED}"' in page
    assert f'<option value="{speaker.pk}" selected>' in page


def test_status_page_revisited_is_one_query_and_no_session(speaker, django_assert_num_queries):
    claim, token = claim_with_link(product=speaker)
    add_photo(claim)
    browser = Client()
    assert browser.get(f"/en/status/{token}/").status_code == 200
    # The claim: its recall and its progress (events, shipments, photos) are kept; no session
    # is read or written, the opened-claims cookie not sent again.
    with django_assert_num_queries(1):
        response = browser.get(f"/en/status/{token}/")
    page = response.content.decode()
    assert claim.reference in page and "Your photos" in page
    assert OPENED_CLAIMS_COOKIE not in response.cookies
    assert settings.SESSION_COOKIE_NAME not in browser.cookies


def test_filing_browser_session_ends_with_the_confirmation(client, recall, speaker):
    # The session only holds the confirmation page's reference: it lasts as long, so that the
    # consumer back on the status page later sends no session for the staff idle clock to read.
    response = file_claim(client, speaker)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == SUBMITTED_CLAIM_TTL
    assert claim_reference_shown(client.get(response.url).content.decode())


def claim_reference_shown(page: str) -> bool:
    return Claim.objects.get().reference in page


def photo_status(browser, claim) -> int:
    photo = claim.photos.get()
    return browser.get(reverse("claim_photo", args=[photo.pk, "thumbnail"])).status_code


def opened_cookie(value, *, at=None) -> str:
    """An `opened_claims` cookie as the site signs it (at the Unix time `at`, or now)."""

    def sign() -> str:
        response = HttpResponse()
        response.set_signed_cookie(
            OPENED_CLAIMS_COOKIE, json.dumps(value, separators=(",", ":")), salt=OPENED_CLAIMS_SALT
        )
        return response.cookies[OPENED_CLAIMS_COOKIE].value

    if at is None:
        return sign()
    with mock.patch("django.core.signing.time.time", return_value=at):
        return sign()


def test_opened_claims_cookie_is_signed_http_only_and_same_site(speaker):
    claim, token = claim_with_link(product=speaker)
    cookie = Client().get(f"/en/status/{token}/").cookies[OPENED_CLAIMS_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert claim.reference not in cookie.value and token not in cookie.value


def test_photos_refused_to_a_forged_or_tampered_opened_claims_cookie(speaker):
    claim, _token = claim_with_link(product=speaker)
    add_photo(claim)
    signed = opened_cookie([[claim.pk, time.time()]])
    for value in (
        json.dumps([[claim.pk, time.time()]]),  # forged: not signed
        signed.replace(f"[[{claim.pk},", f"[[{claim.pk}0,"),  # another id, old signature
        signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"),  # signature tampered
    ):
        browser = Client()
        browser.cookies[OPENED_CLAIMS_COOKIE] = value
        assert photo_status(browser, claim) == 404
    # the cookie as the site signs it does show the photo
    browser = Client()
    browser.cookies[OPENED_CLAIMS_COOKIE] = signed
    assert photo_status(browser, claim) == 200


def test_photos_refused_to_a_browser_that_opened_another_claim(speaker):
    mine, token = claim_with_link(product=speaker)
    theirs, _ = claim_with_link(product=speaker)
    add_photo(mine)
    add_photo(theirs)
    browser = Client()
    assert browser.get(f"/en/status/{token}/").status_code == 200
    assert photo_status(browser, mine) == 200
    assert photo_status(browser, theirs) == 404


def test_photos_refused_once_the_opened_claims_cookie_expired(speaker):
    claim, _token = claim_with_link(product=speaker)
    add_photo(claim)
    long_ago = time.time() - settings.SESSION_COOKIE_AGE - 60
    browser = Client()
    browser.cookies[OPENED_CLAIMS_COOKIE] = opened_cookie([[claim.pk, long_ago]], at=long_ago)
    assert photo_status(browser, claim) == 404


def test_photos_refused_after_the_links_are_revoked(speaker):
    claim, token = claim_with_link(product=speaker)
    add_photo(claim)
    browser = Client()
    assert browser.get(f"/en/status/{token}/").status_code == 200
    assert photo_status(browser, claim) == 200
    claim_links_revoke(claim=claim)
    assert photo_status(browser, claim) == 404
    # and the old link no longer records an opening
    assert browser.get(f"/en/status/{token}/").status_code == 410
    assert photo_status(browser, claim) == 404


def test_kept_progress_follows_each_change_of_the_claim(speaker):
    claim, token = claim_with_link(product=speaker)
    browser = Client()
    assert "Your photos" not in browser.get(f"/en/status/{token}/").content.decode()
    # a photo, a note for the consumer, a shipment's tracking number: each shows at once
    add_photo(claim)
    assert "Your photos" in browser.get(f"/en/status/{token}/").content.decode()
    claim_transition(
        claim_id=claim.pk,
        to_status=ClaimStatus.INFORMATION_REQUESTED,
        actor=SYSTEM,
        note="Please send a sharper photo of the label.",
    )
    assert "sharper photo" in browser.get(f"/en/status/{token}/").content.decode()
    shipment = Shipment.objects.create(claim=claim, remedy=claim.remedy, carrier="UPS")
    assert "1Z999AA10123456784" not in browser.get(f"/en/status/{token}/").content.decode()
    shipment.tracking_number = "1Z999AA10123456784"
    shipment.save()
    assert "1Z999AA10123456784" in browser.get(f"/en/status/{token}/").content.decode()
    ClaimPhoto.objects.filter(claim=claim).delete()
    assert "Your photos" not in browser.get(f"/en/status/{token}/").content.decode()


def test_kept_progress_never_crosses_claims_or_languages(speaker):
    claim, token = claim_with_link(product=speaker)
    other, other_token = claim_with_link(product=speaker)
    claim_transition(
        claim_id=claim.pk, to_status=ClaimStatus.INFORMATION_REQUESTED, actor=SYSTEM, note="Mine"
    )
    browser = Client()
    english = browser.get(f"/en/status/{token}/").content.decode()
    french = browser.get(f"/fr-ca/status/{token}/").content.decode()
    again = browser.get(f"/en/status/{token}/").content.decode()
    assert 'lang="fr-ca"' in french and "Progress of your claim" not in french
    assert "Progress of your claim" in english and "Progress of your claim" in again
    assert "Mine" not in Client().get(f"/en/status/{other_token}/").content.decode()
    assert other.reference not in again


def test_kept_progress_holds_no_csrf_token_or_form(speaker):
    from django.core.cache import cache

    from recallcases.consumer.status_cache import _key

    claim, token = claim_with_link(product=speaker)
    page = Client().get(f"/en/status/{token}/").content.decode()
    assert "csrfmiddlewaretoken" in page  # the page's own forms carry one
    kept = cache.get(_key(claim.pk, "en"))
    assert kept is not None
    assert all("csrfmiddlewaretoken" not in part and "<form" not in part for part in kept[1:])


def test_french_and_english_forms_are_kept_apart(client, recall):
    check(client, RECALLED)
    english = client.get(RECALL + "claim/").content.decode()
    french = client.get(RECALL_FR + "claim/").content.decode()
    assert "Full name" in english and "Full name" not in french
    assert '<option value="fr-ca" selected>' in french
    assert '<option value="en" selected>' in english


def test_serial_typed_is_escaped_in_the_kept_form(client, recall):
    warm(client)
    page = check(client, '"><script>alert(1)</script>').content.decode()
    assert "<script>alert(1)" not in page
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_two_consumers_never_see_each_others_serial(recall):
    first, second = Client(), Client()
    check(first, RECALLED)
    check(second, "A3102DMX10000043")
    assert RECALLED not in second.get(RECALL + "claim/").content.decode()
    assert 'value="A3102DMX10000043"' in second.get(RECALL + "claim/").content.decode()
    fresh = Client().get(RECALL + "claim/").content.decode()
    assert RECALLED not in fresh and "A3102DMX10000043" not in fresh


def test_tampered_checked_serial_cookie_fills_in_nothing(client, recall):
    check(client, RECALLED)
    cookie = client.cookies["checked_serial"].value
    client.cookies["checked_serial"] = cookie.replace(RECALLED, "A3102DMX10000499")
    page = client.get(RECALL + "claim/").content.decode()
    assert "A3102DMX10000499" not in page and RECALLED not in page


def test_serial_not_recalled_is_not_kept_for_the_claim_form(client, recall):
    check(client, NOT_RECALLED)
    assert "checked_serial" not in client.cookies
    assert NOT_RECALLED not in client.get(RECALL + "claim/").content.decode()


def test_filing_the_claim_forgets_the_checked_serial(client, recall, speaker):
    check(client, RECALLED)
    response = client.post(RECALL + "claim/", claim_form_data(product=speaker.pk))
    assert response.status_code == 302
    assert Claim.objects.filter(serial=RECALLED).exists()
    assert client.cookies["checked_serial"].value == ""
    assert RECALLED not in client.get(RECALL + "claim/").content.decode()


def test_checked_serial_cookie_is_signed_http_only_and_same_site(client, recall):
    response = check(client, RECALLED)
    cookie = response.cookies["checked_serial"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert ":" in cookie.value  # value:timestamp:signature


def test_recall_closed_in_the_admin_is_gone_from_its_pages_at_once(client, recall):
    warm(client)
    recall.is_open = False
    recall.save()
    assert client.get(RECALL).status_code == 404
    assert check(client, RECALLED).status_code == 404


def test_product_renamed_shows_at_once(client, recall, speaker):
    warm(client)
    speaker.name_en = "Renamed speaker"
    speaker.save()
    assert "Renamed speaker" in client.get(RECALL).content.decode()


def test_recall_slug_changed_leaves_nothing_at_the_old_address(client, recall):
    warm(client)
    recall.slug = "speakers-renamed"
    recall.save()
    assert client.get(RECALL).status_code == 404
    assert client.get("/en/speakers-renamed/").status_code == 200
    assert Recall.objects.filter(slug="speakers-renamed").exists()


@pytest.mark.parametrize("serial", [None, RECALLED, '<b>"&'])
def test_kept_form_is_what_crispy_renders(recall, speaker, serial):
    from crispy_forms.utils import render_crispy_form

    from recallcases.consumer.form_cache import form_html, recall_form_key
    from recallcases.consumer.forms import ClaimForm
    from recallcases.recalls.selectors import recall_open_by_slug

    cached = recall_open_by_slug(slug=recall.slug)
    initial = {"language": "en", "product": speaker.pk}

    def build(value):
        return ClaimForm(recall=cached, initial={**initial, "serial": value} if value else initial)

    expected = render_crispy_form(build(serial), context={"recall": cached})
    for _ in range(2):  # rendered, then from memory
        assert form_html(build, key=recall_form_key(cached, "test"), serial=serial) == expected


def test_status_page_shows_a_recall_edited_since_at_once(speaker):
    # given: the page of a claim whose next step names the unit, its recall and progress kept
    claim, token = claim_with_link(product=speaker, status=ClaimStatus.REPLACEMENT_SHIPPED)
    browser = Client()
    assert "dispose of the recalled speaker" in next_step(browser.get(f"/en/status/{token}/"))
    # when: the recall's word for the unit changes (the admin saves it)
    recall = Recall.objects.get(pk=claim.recall_id)
    recall.product_noun_en = "gadget"
    recall.save()
    # then: the page says it at once, in its kept progress too
    response = browser.get(f"/en/status/{token}/")
    assert "dispose of the recalled gadget" in next_step(response)
    assert "Did your gadget overheat" in response.content.decode()


def next_step(response) -> str:
    return response.content.decode().split('id="next-step">', 1)[1].split("</div>", 1)[0]


def _without_csrf_token(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


@pytest.mark.parametrize("language", ["/en/", "/fr-ca/"])
@pytest.mark.parametrize(
    ("typed", "other"),
    [
        (RECALLED, "A3102DMX10000043"),
        ("a3102-dmx1-0000-042", "A3102DMX10000043"),
        ("A31O2DMX1OOOOO42", "A3102DMX10000043"),
        (NOT_RECALLED, "A3102DMX10000502"),
        ("A3102DMX1OOOO5O1", "A3102DMX10000502"),
    ],
)
def test_kept_check_answer_is_the_page_the_template_renders(
    recall, monkeypatch, language, typed, other
):
    # given: the answer's page as the template renders it for this serial
    url = f"{language}anker-speakers-2024/check/"
    rendered = Client()
    warm(rendered)
    with monkeypatch.context() as patched:
        patched.setattr(recallcases.consumer.views, "KEPT_ANSWERS", ())
        expected = check(rendered, typed, url).content.decode()
    # when: another serial's answer of the same kind was kept first
    check(Client(), other, url)
    # then: the kept page, rendered then from memory, is the same, but for the CSRF token
    browser = Client()
    for _ in range(2):
        page = check(browser, typed, url).content.decode()
        assert _without_csrf_token(page) == _without_csrf_token(expected)
        assert 'name="csrfmiddlewaretoken" value="' in page and "\ue000" not in page
    assert other not in page


def test_kept_check_answer_carries_this_requests_csrf_token(recall):
    browser = Client(enforce_csrf_checks=True)
    browser.get(RECALL)
    token = browser.cookies["csrftoken"].value
    for serial in (RECALLED, RECALLED, "A3102DMX10000043"):
        response = browser.post(RECALL + "check/", {"serial": serial, "csrfmiddlewaretoken": token})
        assert response.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[
            1
        ]
    # the token the kept page carried is good for the next post
    again = browser.post(RECALL + "check/", {"serial": RECALLED, "csrfmiddlewaretoken": token})
    assert again.status_code == 200


def test_check_answer_shows_a_renamed_product_at_once(client, recall, speaker):
    assert "Soundcore" in check(client, RECALLED).content.decode()
    speaker.name_en = "Renamed speaker"
    speaker.save()
    assert "Renamed speaker" in check(client, RECALLED).content.decode()


def test_values_put_in_kept_html_are_escaped():
    # A kept page or form gets each visitor's value in place of its mark: never as markup.
    from recallcases.consumer.form_cache import SERIAL_MARK, marks_filled

    html = f'<input name="serial" value="{SERIAL_MARK}"><p>{SERIAL_MARK}</p>'
    filled = marks_filled(html, {SERIAL_MARK: '"><script>alert(1)</script>'})
    assert "<script>" not in filled
    assert filled.count("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;") == 2
