"""What the public pages cost in queries, and that what made them cheaper changed nothing a
consumer sees: the checked serial in a signed cookie, the recall from the cache, forms rendered
once (bench/public_pages.py times them; docs/adr/0010-public-pages-speed.md says why)."""

import re

import pytest
from django.conf import settings
from django.test import Client

import recallcases.consumer.views
from recallcases.claims.models import Claim
from recallcases.recalls.models import Recall
from tests.consumer.test_pages import RECALL, RECALL_FR, claim_form_data
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


def test_status_page_revisited_reads_the_claim_and_writes_no_session(
    speaker, django_assert_num_queries
):
    claim, token = claim_with_link(product=speaker)
    add_photo(claim)
    browser = Client()
    assert browser.get(f"/en/status/{token}/").status_code == 200
    # The session, the claim with its recall and product, its events, its shipments (the
    # carrier's tracking link), its photos: no write.
    with django_assert_num_queries(5):
        page = browser.get(f"/en/status/{token}/").content.decode()
    assert claim.reference in page


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
