import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from recallcases.claims.models import Claim
from recallcases.recalls.models import Recall, RegistryEntry

pytestmark = pytest.mark.django_db


def seed():
    out = io.StringIO()
    # The tests run with DEBUG off, as production: the demo logins need the explicit flag.
    call_command("seed_demo", base_url="http://testserver", allow_demo_accounts=True, stdout=out)
    return out.getvalue()


def test_seed_demo_gives_a_login_per_role_and_claims_with_working_links(client):
    # when: run twice, as `make run` does on every start
    seed()
    output = seed()
    # then: one login per role, three demo claims, nothing doubled
    users = get_user_model().objects.filter(
        username__in=["reviewer", "fulfilment", "manager", "admin"]
    )
    assert {u.username: [g.name for g in u.groups.all()] for u in users} == {
        "reviewer": ["Reviewer"],
        "fulfilment": ["Fulfilment"],
        "manager": ["Recall manager"],
        "admin": ["Administrator"],
    }
    assert not any(u.is_superuser for u in users)
    assert Claim.objects.count() == 4  # three for the speakers, one for the power banks
    assert "A3102DMX10000001 to A3102DMX10000500" in output
    assert "A1263DMX000001 to A1263DMX000500" in output
    # and the printed status links open their claims (those of the latest run)
    links = re.findall(r"([A-Z0-9]{4}-[A-Z0-9]{4})  http://testserver(/en/status/\S+/)", output)
    assert len(links) == 3
    for reference, path in links:
        assert reference in client.get(path).content.decode()
    # and the demo reviewer signs in with the printed password
    signed_in = client.post(
        "/workspace/login/", {"username": "reviewer", "password": "recall-demo-2024"}
    )
    assert signed_in.status_code == 302
    assert client.get(signed_in.url).status_code == 200


def test_the_shipped_demo_claims_status_page_shows_its_carrier_link_and_promised_dates(client):
    # given: the demo, whose first claim is shipped by UPS
    output = seed()
    shipped = Claim.objects.get(serial="A3102DMX10000101")
    assert shipped.status == "replacement_shipped"
    path = re.search(rf"{shipped.reference}  http://testserver(/en/status/\S+/)", output)[1]
    # then: in each language the speaker recall is offered in
    for language, promised in (("en", "Promised by"), ("fr-ca", "Promis d")):
        page = client.get(path.replace("/en/", f"/{language}/")).content.decode()
        assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in page
        assert page.count(promised) == 2  # verified, shipped
    # and: Spanish is not one of them; the Spanish address opens the English page
    assert client.get(path.replace("/en/", "/es-us/"))["Location"] == path


def test_seed_demo_loads_the_power_bank_recall_with_a_shipped_spanish_claim(client):
    # given: the demo, run twice as `make run` does on every start
    seed()
    output = seed()
    # then: the second recall is loaded once, open, with its demo serials and pictures
    power_banks = Recall.objects.get(slug="anker-power-banks-2025")
    assert power_banks.languages == ["en", "es-us"]
    assert power_banks.proof_items.count() == 3
    assert RegistryEntry.objects.filter(recall=power_banks, is_demo=True).count() == 1
    assert "http://testserver/en/anker-power-banks-2025/" in output
    assert "http://testserver/es-us/anker-power-banks-2025/" in output
    page = client.get("/es-us/anker-power-banks-2025/").content.decode()
    assert "Batería portátil Anker PowerCore 10000" in page
    # and its one demo claim, filed in Spanish, is shipped by UPS
    shipped = Claim.objects.get(recall=power_banks)
    assert (shipped.language, shipped.status) == ("es-us", "replacement_shipped")
    assert shipped.shipments.count() == 1
    path = re.search(rf"{shipped.reference}  http://testserver(/es-us/status/\S+/)", output)[1]
    # and its status page shows the carrier link and the promised dates, in Spanish and English
    for language, promised in (("es-us", "Prometido"), ("en", "Promised by")):
        page = client.get(path.replace("/es-us/", f"/{language}/")).content.decode()
        assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456795"' in page
        assert promised in page, language
    # and French is not offered: the French address opens the English page
    english = path.replace("/es-us/", "/en/")
    assert client.get(path.replace("/es-us/", "/fr-ca/"))["Location"] == english
