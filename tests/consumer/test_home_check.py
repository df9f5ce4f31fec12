"""Several open recalls: the home page lists them, and one check finds a serial's recall."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recallcases.recalls.demo import POWER_BANK_FILE
from recallcases.recalls.models import Recall
from recallcases.recalls.selectors import serial_lookup_any
from recallcases.recalls.services import recall_load, registry_import
from tests.factories import ProductFactory, RecallFactory

pytestmark = pytest.mark.django_db

SPEAKER_SERIAL = "A3102DMX10000042"
POWER_BANK_SERIAL = "A1263PB0000042"
SPEAKERS = "/en/anker-speakers-2024/"
POWER_BANKS = "/en/anker-power-banks-2025/"


@pytest.fixture
def power_banks(recall):
    """The power bank recall beside the speaker recall, with 500 serials."""
    power_banks = recall_load(
        data=json.loads(POWER_BANK_FILE.read_text(encoding="utf-8")),
        base_dir=POWER_BANK_FILE.parent,
    )
    registry_import(
        recall=power_banks,
        rows=[
            {"model": "A1263", "first_serial": "A1263PB0000001", "last_serial": "A1263PB0000500"}
        ],
    )
    return power_banks


@pytest.fixture
def look_alike(power_banks):
    """A third recall whose 16-character serials include some of the speaker recall's."""
    product = ProductFactory(
        recall=RecallFactory(slug="lookalike-lamps", title_en="Desk lamps recalled"),
        name_en="Example desk lamp",
        model="L100",
    )
    registry_import(
        recall=product.recall,
        rows=[{"model": "L100", "first_serial": "A3102DMX10000040", "last_serial": SPEAKER_SERIAL}],
    )
    return product


def check(client, serial, lang="en", **fields):
    return client.post(f"/{lang}/check/", {"serial": serial, **fields})


def test_home_lists_every_open_recall_with_its_products(
    client, power_banks, django_assert_num_queries
):
    # when: two queries, whatever the number of recalls (the recalls, then their products)
    with django_assert_num_queries(2):
        client.get("/en/")
    # and none once they are in the cache
    with django_assert_num_queries(0):
        page = client.get("/en/").content.decode()
    # then
    assert page.count('class="card mb-3 open-recall"') == 2
    assert "Anker PowerCore 10000 power banks recalled" in page
    assert "Anker Soundcore Bluetooth speaker (black), model A3102 (A3102016)" in page
    assert "Anker PowerCore 10000 power bank, model A1263 (A1263)" in page
    assert "can overheat and catch fire" in page
    assert f'href="{SPEAKERS}"' in page and f'href="{POWER_BANKS}"' in page
    assert 'action="/en/check/"' in page
    assert "Is my product recalled?" in page


def test_home_lists_no_closed_recall(client, power_banks):
    power_banks.is_open = False
    power_banks.save()
    assert client.get("/en/").url == SPEAKERS
    RecallFactory(title_en="Another open recall")
    page = client.get("/en/").content.decode()
    assert "Another open recall" in page and "PowerCore" not in page


@pytest.mark.parametrize(
    ("serial", "recall_page", "answer"),
    [
        ("a3102-dmx1-0000-042", SPEAKERS, "Yes, this speaker is recalled."),
        ("A1263 PB00 000 42", POWER_BANKS, "Yes, this power bank is recalled."),
    ],
)
def test_check_finds_the_serials_recall_and_its_claim_form(
    client, power_banks, serial, recall_page, answer
):
    # when
    page = check(client, serial).content.decode()
    # then: the recall's own answer, and its claim form, pre-filled with the serial
    assert answer in page
    assert f'href="{recall_page}claim/"' in page
    value = serial.replace("-", "").replace(" ", "").upper()
    assert value in page
    claim_form = client.get(recall_page + "claim/").content.decode()
    assert f'value="{value}"' in claim_form


def test_check_reads_o_as_zero_by_the_recalls_rules(client, power_banks):
    page = check(client, "A31O2DMX10000042").content.decode()
    assert "Yes, this speaker is recalled." in page
    assert "we read it as the digit 0" in page


def test_check_asks_for_the_model_when_two_recalls_hold_the_serial(client, speaker, look_alike):
    # when
    page = check(client, SPEAKER_SERIAL).content.decode()
    # then: a choice of the two matching recalls' products, no verdict yet
    assert "This serial number is in more than one recall." in page
    assert f'value="{speaker.pk}"' in page and f'value="{look_alike.pk}"' in page
    assert "Example desk lamp (L100)" in page
    assert "Anker Soundcore Bluetooth speaker (black) (A3102)" in page
    assert "Select a valid choice" not in page
    assert "claim/" not in page

    # when: the consumer names the lamp
    page = check(client, SPEAKER_SERIAL, product=look_alike.pk).content.decode()
    # then: the lamp recall's answer and claim form, pre-filled
    assert 'href="/en/lookalike-lamps/claim/"' in page
    claim_form = client.get("/en/lookalike-lamps/claim/").content.decode()
    assert f'value="{SPEAKER_SERIAL}"' in claim_form

    # and a product of no matching recall is refused
    page = check(client, SPEAKER_SERIAL, product=999999).content.decode()
    assert "Select a valid choice" in page and "claim/" not in page


def test_check_not_recalled_lists_the_open_recalls(client, power_banks):
    page = check(client, "A3102DMX10000501").content.decode()
    assert "This serial number is not part of any open recall." in page
    assert "Anker PowerCore 10000 power banks recalled" in page
    assert f'href="{SPEAKERS}"' in page
    assert "claim/" not in page


def test_check_malformed_serial(client, power_banks):
    page = check(client, "A3102 DMX1 0000 04#").content.decode()
    assert "has only letters and digits" in page


def test_check_shares_the_recall_checks_rate_limit(client, power_banks):
    # given: five checks on a recall's page, five on the home page
    for _ in range(5):
        assert client.post(SPEAKERS + "check/", {"serial": SPEAKER_SERIAL}).status_code == 200
    for _ in range(5):
        assert check(client, SPEAKER_SERIAL).status_code == 200
    # then: the eleventh in the minute is refused
    assert check(client, SPEAKER_SERIAL).status_code == 429


def test_check_daily_cap(client, power_banks, settings):
    settings.SERIAL_CHECK_RATE = "1000/m"
    settings.SERIAL_CHECK_DAILY_CAP = "5/d"
    statuses = [check(client, POWER_BANK_SERIAL).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_home_and_check_in_french(client, power_banks):
    home = client.get("/fr-ca/").content.decode()
    assert "Mon produit est-il rappelé?" in home
    assert "Rappel des batteries externes Anker PowerCore 10000" in home
    assert 'action="/fr-ca/check/"' in home
    assert "Is my product" not in home and "Open recalls" not in home

    page = check(client, POWER_BANK_SERIAL, lang="fr-ca").content.decode()
    assert 'href="/fr-ca/anker-power-banks-2025/claim/"' in page
    assert "batterie externe" in page

    page = check(client, "A3102DMX10000501", lang="fr-ca").content.decode()
    assert "aucun rappel en cours" in page


def test_serial_lookup_any_costs_one_query_per_recall_of_the_serials_length(look_alike):
    # given: three open recalls and their products, read once
    recalls = list(Recall.objects.open_to_claims().prefetch_related("products"))
    assert len(recalls) == 3
    # when / then: a 14-character serial only reaches the power bank registry
    with CaptureQueriesContext(connection) as queries:
        found = serial_lookup_any(serial=POWER_BANK_SERIAL, recalls=recalls)
    assert len(queries) == 1
    assert [m.recall.slug for m in found.matches] == ["anker-power-banks-2025"]
    # a 16-character one the two registries of 16-character serials
    with CaptureQueriesContext(connection) as queries:
        found = serial_lookup_any(serial=SPEAKER_SERIAL, recalls=recalls)
    assert len(queries) == 2
    assert {m.recall.slug for m in found.matches} == {"anker-speakers-2024", "lookalike-lamps"}
    # a serial of no recall's length, none
    with CaptureQueriesContext(connection) as queries:
        found = serial_lookup_any(serial="ABC123", recalls=recalls)
    assert len(queries) == 0 and found.matches == () and found.is_well_formed


def test_the_open_recalls_kept_in_the_cache_are_forgotten_when_a_recall_changes(
    client, power_banks
):
    # given: the home page read once, its recalls now in the cache
    assert client.get("/en/").content.decode().count('class="card mb-3 open-recall"') == 2
    # when: a recall opens
    RecallFactory(title_en="Another open recall")
    # then: the next visit lists it, and the next check looks in its registry too
    page = client.get("/en/").content.decode()
    assert "Another open recall" in page
    # when: one closes
    power_banks.is_open = False
    power_banks.save()
    # then: the check across recalls no longer finds its serials
    page = check(client, POWER_BANK_SERIAL).content.decode()
    assert "This serial number is not part of any open recall." in page
    page = client.get("/en/").content.decode()
    assert "Another open recall" in page and "PowerCore" not in page
