"""Each recall is offered in its own languages: English and French (Canada) for the speaker
recall, English and Spanish (United States) for the US-only power bank recall."""

import re

import pytest

from recallcases.claims.models import Claim, ClaimStatus
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.notices.services.purchasers import purchasers_import
from recallcases.notifications.emails import compose_claim_email
from recallcases.notifications.models import OutboundEmail
from tests.consumer.test_pages import claim_form_data
from tests.consumer.test_second_recall import (
    RECALLED,
    SLUG,
    power_bank_claim,
    power_bank_form_data,
)
from tests.factories import claim_with_link

pytestmark = pytest.mark.django_db


def test_a_page_in_a_language_the_recall_does_not_offer_opens_in_its_first(client, recall):
    # when: the speaker recall (English and French) asked for in Spanish
    response = client.get(f"/es-us/{recall.slug}/claim/")
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/en/{recall.slug}/claim/"


def test_a_status_page_in_a_language_not_offered_keeps_its_private_link(client, speaker):
    _claim, token = claim_with_link(product=speaker)
    response = client.get(f"/es-us/status/{token}/")
    assert response["Location"] == f"/en/status/{token}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_post_in_a_language_not_offered_checks_nothing(client, recall):
    response = client.post(f"/es-us/{recall.slug}/check/", {"serial": "A3102DMX10000042"})
    assert response.status_code == 302
    assert response["Location"] == f"/en/{recall.slug}/check/"


def test_power_bank_page_in_spanish_reads_its_spanish_texts(client, power_banks):
    page = client.get(f"/es-us/{SLUG}/").content.decode()
    assert '<html lang="es-us">' in page
    assert "La batería de iones de litio de la batería portátil puede sobrecalentarse" in page
    assert "Verificar mi número de serie" in page
    # the language switch offers the recall's other language only
    switch = re.search(r'<nav aria-label="Idioma">.*?</nav>', page, re.S).group(0)
    assert "English" in switch
    assert "Français" not in switch
    # and French is not offered: its address opens the English page
    assert client.get(f"/fr-ca/{SLUG}/")["Location"] == f"/en/{SLUG}/"


def test_speaker_page_offers_no_spanish(client, recall):
    page = client.get(f"/fr-ca/{recall.slug}/").content.decode()
    switch = re.search(r"<nav aria-label=.*?</nav>", page, re.S).group(0)
    assert "English" in switch
    assert "Español" not in switch


def test_claim_form_offers_the_recalls_languages_for_emails(client, power_banks):
    page = client.get(f"/es-us/{SLUG}/claim/").content.decode()
    select = re.search(r'<select name="language".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([\w-]+)"', select) == ["en", "es-us"]
    assert 'value="es-us" selected' in select


def test_claim_in_french_refused_for_a_recall_in_english_and_spanish(client, power_banks):
    product = power_banks.products.get()
    data = claim_form_data(
        serial=RECALLED, product=product.pk, order_number="NE-12345678", language="fr-ca"
    )
    client.post(f"/en/{SLUG}/claim/", data)
    assert not Claim.objects.exists()


def test_claim_filed_in_spanish_gets_spanish_emails(client, power_banks):
    # given: a claim filed from the Spanish page, emails in Spanish
    product = power_banks.products.get()
    data = power_bank_form_data(
        serial=RECALLED, product=product.pk, order_number="NE-12345678", language="es-us"
    )
    client.post(f"/es-us/{SLUG}/claim/", data)
    claim = Claim.objects.get()
    assert claim.language == "es-us"
    # when: it is verified
    claim_transition(claim_id=claim.pk, to_status=ClaimStatus.VERIFIED, actor=SYSTEM)
    # then: both emails are in Spanish, with the recall's Spanish words
    received, verified = (
        compose_claim_email(email) for email in OutboundEmail.objects.order_by("pk")
    )
    assert received.subject == f"Recibimos su reclamo {claim.reference}"
    assert verified.subject == f"Su reclamo {claim.reference} está verificado"
    assert "Su batería portátil forma parte del retiro" in verified.body
    assert "/es-us/status/" in received.body


def test_status_page_in_spanish(client, power_banks):
    claim, token = power_bank_claim(power_banks.products.get(), serial=RECALLED, language="es-us")
    page = client.get(f"/es-us/status/{token}/").content.decode()
    assert "Avance de su reclamo" in page
    assert claim.reference in page


def test_purchaser_in_a_language_the_recall_does_not_offer_gets_its_first(recall):
    report = purchasers_import(
        recall=recall,
        rows=[{"name": "Ana Pérez", "email": "ana@example.com", "country": "US", "language": "es"}],
    )
    assert report.added == 1
    assert recall.purchasers.get().language == "en"
