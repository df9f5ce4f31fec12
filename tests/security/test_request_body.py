"""Request bodies larger than the site takes are refused (413) before anything reads them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import RequestFactory

from recallcases.claims.models import Claim
from recallcases.core.photo_pipeline import MAX_PHOTOS_PER_FORM, MAX_UPLOAD_BYTES
from recallcases.core.request_body import BodyLimitUploadHandler
from recallcases.recalls.models import RegistryEntry
from recallcases.workspace.roles import ADMINISTRATOR
from tests.conftest import member_of
from tests.consumer.test_pages import claim_form_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
CLAIM_FORM = "/en/anker-speakers-2024/claim/"
REGISTRY_IMPORT = "/workspace/registry/import/"
MB = 2**20


@pytest.fixture
def temporary_files(monkeypatch):
    """Every upload Django writes to a temporary file, as it is written."""
    written = []
    original = TemporaryUploadedFile.__init__

    def recording(self, *args, **kwargs):
        written.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", recording)
    return written


def test_300_mb_claim_form_post_refused_413_before_it_is_read(client, speaker, temporary_files):
    # given: the claim form with its photo, declared as a 300 MB body (the body itself is small:
    # had anything read it, the test client's payload would refuse to give 300 MB)
    data = claim_form_data(product=speaker.pk)
    # when
    response = client.post(CLAIM_FORM, data, CONTENT_LENGTH=str(300 * MB))
    # then: 413 with its page, and nothing read, written or filed
    assert response.status_code == 413
    assert "413.html" in [t.name for t in response.templates]
    assert "Too large to send" in response.content.decode()
    assert temporary_files == []
    assert not Claim.objects.exists()
    # and the same form at its real size is filed
    assert client.post(CLAIM_FORM, claim_form_data(product=speaker.pk)).status_code == 302


def test_oversized_body_page_in_french(client, recall):
    response = client.post("/fr-ca/anker-speakers-2024/claim/", {}, CONTENT_LENGTH=str(40 * MB))
    assert response.status_code == 413
    assert "Trop volumineux pour être envoyé" in response.content.decode()


def test_public_limit_leaves_room_for_a_full_size_photo_per_proof_item(settings):
    # A recall asks for at most MAX_PHOTOS_PER_FORM photos (its proof items), each up to 10 MB.
    assert settings.REQUEST_BODY_MAX_BYTES >= MAX_PHOTOS_PER_FORM * MAX_UPLOAD_BYTES + MB
    assert settings.REQUEST_BODY_MAX_BYTES <= 32 * MB


def test_large_workspace_body_refused_to_anonymous_visitors(client, temporary_files):
    response = client.post(REGISTRY_IMPORT, {}, CONTENT_LENGTH=str(50 * MB))
    assert response.status_code == 413
    assert temporary_files == []


def test_large_workspace_body_refused_to_staff_without_the_second_factor(client, recall):
    # given: an Administrator who has an authenticator but signed in with the password only
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = member_of(ADMINISTRATOR)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    # then: a body larger than the public limit is refused
    response = client.post(REGISTRY_IMPORT, {}, CONTENT_LENGTH=str(50 * MB))
    assert response.status_code == 413


def test_staff_import_larger_than_the_public_limit_is_taken(client, recall, settings):
    # given: limits small enough to test with a real file
    settings.REQUEST_BODY_MAX_BYTES = 10_000
    settings.STAFF_REQUEST_BODY_MAX_BYTES = 200_000
    rows = "".join(f"A3102,A3102BNX{n:08d},\n" for n in range(1, 3001))
    csv = ("model,first_serial,last_serial\n" + rows).encode()
    assert 10_000 < len(csv) < 200_000

    def upload():
        file = SimpleUploadedFile("registry.csv", csv, content_type="text/csv")
        return client.post(REGISTRY_IMPORT, {"recall": recall.pk, "file": file})

    # when / then: refused to a visitor, taken from an Administrator
    assert upload().status_code == 413
    client.force_login(member_of(ADMINISTRATOR))
    response = upload()
    assert response.status_code == 200
    assert "3,000 rows added" in response.content.decode()
    # (consecutive serials: one entry holds them all)
    assert list(
        RegistryEntry.objects.filter(recall=recall, is_demo=False).values_list(
            "first_number", "last_number"
        )
    ) == [(1, 3000)]
    # and even staff cannot send more than the staff limit
    settings.STAFF_REQUEST_BODY_MAX_BYTES = 20_000
    assert upload().status_code == 413


def test_upload_without_a_length_stops_at_the_limit(settings):
    # given: a body whose length was not declared (chunked): the handler counts what arrives
    settings.REQUEST_BODY_MAX_BYTES = 1000
    request = RequestFactory().post(CLAIM_FORM, {})
    handler = BodyLimitUploadHandler(request)
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    # when: the files pass the limit
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"x" * 600, 600)
    # then: the request is marked, so that the middleware answers 413
    assert request.body_too_large


def test_gunicorn_listens_on_loopback_by_default():
    code = "import runpy; print(runpy.run_path('gunicorn.conf.py')['bind'])"
    environment = {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.stdout.strip() == "127.0.0.1:8000", result.stderr
    moved = {**environment, "GUNICORN_BIND": "10.0.0.5:8000"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=moved, capture_output=True, text=True
    )
    assert result.stdout.strip() == "10.0.0.5:8000", result.stderr
