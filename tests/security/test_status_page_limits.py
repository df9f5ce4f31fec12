"""The status page's serial correction and uploads are rate limited, and a stale or out-of-place
upload is refused before its photo is decoded.

The audit probed serials through a claim's status page (32 corrections in 2.9 s, none limited)
and had the server decode a 49-megapixel PNG (2.2 s of CPU, 370 MB) for an upload that was then
refused because the page was stale.
"""

import pytest

import recallcases.core.forms
from recallcases.claims.models import Claim, ClaimPhoto, ClaimStatus
from recallcases.claims.transitions import SYSTEM, claim_transition
from tests.factories import claim_with_link
from tests.images import photo_upload

pytestmark = pytest.mark.django_db

S = ClaimStatus
NOT_RECALLED = "A3102DMX10000501"  # outside the demo registry: refused, the claim unchanged


@pytest.fixture
def asked(speaker):
    """A claim whose reviewer asked for a new label photo (and perhaps a corrected serial)."""
    claim, token = claim_with_link(product=speaker)
    claim = claim_transition(
        claim_id=claim.pk, to_status=S.INFORMATION_REQUESTED, actor=SYSTEM, note="Which serial?"
    )
    return claim, f"/en/status/{token}/"


@pytest.fixture
def decodes(monkeypatch):
    """The photos the upload form decoded (process_photo calls), still decoded for real."""
    calls = []
    real = recallcases.core.forms.process_photo

    def recording(upload):
        calls.append(upload)
        return real(upload)

    monkeypatch.setattr(recallcases.core.forms, "process_photo", recording)
    return calls


def upload(client, url, *, version, serial=""):
    return client.post(
        url,
        {
            "action": "upload",
            "photo": photo_upload(),
            "serial": serial,
            "note": "",
            "version": version,
        },
    )


def test_serial_probes_through_status_page_limited(client, asked):
    # given: a claim that waits for a corrected serial
    claim, url = asked
    # when: eleven serial corrections within a minute
    pages = [upload(client, url, version=claim.version, serial=NOT_RECALLED) for _ in range(11)]
    # then: ten are answered, the eleventh gets the 429 page
    assert [page.status_code for page in pages] == [200] * 10 + [429]
    assert "not part of the recall" in pages[0].content.decode()
    assert "Too many requests" in pages[-1].content.decode()
    # and the probes count against the public serial check too: it is one limit, not two
    check = client.post("/en/anker-speakers-2024/check/", {"serial": "A3102DMX10000042"})
    assert check.status_code == 429
    assert Claim.objects.get(pk=claim.pk).status == S.INFORMATION_REQUESTED


def test_serial_probes_after_public_checks_refused(client, asked):
    # given: the public serial check used up for this minute
    claim, url = asked
    for _ in range(10):
        client.post("/en/anker-speakers-2024/check/", {"serial": "A3102DMX10000042"})
    # when / then: the status page gives no more answers about serials
    assert upload(client, url, version=claim.version, serial=NOT_RECALLED).status_code == 429


def test_upload_flood_on_status_page_limited(client, asked, settings, decodes):
    # given: a limit of three claim submissions an hour
    settings.CLAIM_SUBMIT_RATE = "3/h"
    claim, url = asked
    # when: four uploads (without a serial), each of a page that is stale by now
    statuses = [upload(client, url, version=claim.version - 1).status_code for _ in range(4)]
    # then: the fourth is refused with the 429 page
    assert statuses == [200, 200, 200, 429]
    assert decodes == []


def test_stale_upload_refused_without_decoding_the_photo(client, asked, decodes):
    # given: a page of the claim before the reviewer asked (version 1), posted now (version 2)
    claim, url = asked
    assert claim.version == 2
    # when
    response = upload(client, url, version=1)
    # then: refused, and the photo was never decoded
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert decodes == []
    assert not ClaimPhoto.objects.exists()
    # the page offers the form again, for the claim as it is now
    assert 'name="version" value="2"' in response.content.decode()
    # while an upload from the current page is decoded and taken
    assert upload(client, url, version=2).status_code == 302
    assert len(decodes) == 1
    assert Claim.objects.get(pk=claim.pk).status == S.RESUBMITTED


def test_upload_to_claim_waiting_for_nothing_refused_without_decoding(client, speaker, decodes):
    # given: a claim that waits for nothing from its consumer (it is being checked)
    claim, token = claim_with_link(product=speaker)
    # when: an upload is posted anyway, with the current version
    response = upload(client, f"/en/status/{token}/", version=claim.version)
    # then: refused, nothing decoded, nothing stored
    assert response.status_code == 302
    assert decodes == []
    assert not ClaimPhoto.objects.exists()


def test_upload_form_carries_the_version_the_page_showed(client, asked):
    claim, url = asked
    page = client.get(url).content.decode()
    assert f'name="version" value="{claim.version}"' in page
