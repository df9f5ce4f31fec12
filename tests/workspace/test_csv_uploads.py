"""The four staff imports read files alike: the shared reader's edge cases through each page.

Tracking numbers, purchasers, bounces and the serial registry: each page takes the same
encodings, and refuses the same broken files with a message (never an error page), importing
nothing; a file of many bad rows gives a short page, its report cut.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from recallcases.claims.models import ClaimStatus, Shipment
from recallcases.claims.services import tracking
from recallcases.notices.models import Purchaser
from recallcases.recalls.models import RegistryEntry
from recallcases.workspace.roles import ADMINISTRATOR, FULFILMENT, RECALL_MANAGER
from recallcases.workspace.views import fulfilment, notices, registry
from tests.factories import ClaimFactory
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db


@dataclass
class Page:
    """One import page: where it is, who may use it, a file it takes, and what it imported."""

    name: str
    role: str
    header: str
    # The good row's cells, with a name (or another text) that is not ASCII.
    row: str
    bad_row: str
    # Where the page's byte limit is set (module, attribute), for a small limit in a test.
    limits: tuple[tuple[Any, str], ...]

    def url(self, recall) -> str:
        if self.name == "registry":
            return "/workspace/registry/import/"
        if self.name == "tracking":
            return "/workspace/fulfilment/import/"
        view = "notices_import" if self.name == "purchasers" else "notices_bounces"
        return reverse(f"workspace:{view}", args=[recall.slug])

    def fields(self, recall) -> dict:
        return {
            "tracking": {"bad_rows": "all_or_nothing"},
            "registry": {"recall": recall.pk},
        }.get(self.name, {})

    def imported(self) -> list:
        """What the page has imported: nothing until a file is taken."""
        if self.name == "tracking":
            return list(Shipment.objects.values_list("carrier", flat=True))
        if self.name == "purchasers":
            return list(Purchaser.objects.exclude(name="Known").values_list("name", flat=True))
        if self.name == "bounces":
            return list(
                Purchaser.objects.filter(bounced_at__isnull=False).values_list(
                    "bounce_reason", flat=True
                )
            )
        return list(RegistryEntry.objects.filter(is_demo=False).values_list("prefix", flat=True))


PAGES = {
    page.name: page
    for page in (
        Page(
            "tracking",
            FULFILMENT,
            "reference,carrier,tracking_number",
            "{reference},Postes Canadé,1Z0000000000000001",
            "NOPE-NOPE,UPS,1",
            ((tracking, "IMPORT_MAX_BYTES"), (fulfilment, "IMPORT_MAX_BYTES")),
        ),
        Page(
            "purchasers",
            RECALL_MANAGER,
            "name,email,country",
            "René Côté,rene@example.ca,CA",
            "x,nope,CA",
            ((notices, "UPLOAD_MAX_BYTES"),),
        ),
        Page(
            "bounces",
            RECALL_MANAGER,
            "recipient,type,reason",
            "known@example.ca,Permanent,Boîte inconnue",
            "nope,Permanent,x",
            ((notices, "UPLOAD_MAX_BYTES"),),
        ),
        Page(
            "registry",
            ADMINISTRATOR,
            "model,first_serial,last_serial,note",
            "A3102,A3102BNX00000001,,Vérifié",
            "X9,BAD,,",
            ((registry, "UPLOAD_MAX_BYTES"),),
        ),
    )
}
# What a good row leaves behind, read back as the page's `imported`.
IMPORTED = {
    "tracking": ["Postes Canadé"],
    "purchasers": ["René Côté"],
    "bounces": ["Boîte inconnue"],
    "registry": ["A3102BNX"],
}


@pytest.fixture(params=list(PAGES))
def page(request, speaker):
    return PAGES[request.param]


@pytest.fixture
def send(page, speaker):
    """Post a file (its text before encoding, {reference} filled in) to the page, signed in."""
    user = member_of(page.role, username=f"uploader-{page.name}")
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user.pk))
    claim = ClaimFactory(status=ClaimStatus.REPLACEMENT_APPROVED, product=speaker)
    Purchaser.objects.create(
        recall=speaker.recall, name="Known", email="known@example.ca", country="CA"
    )
    recall = speaker.recall

    def send(content: str | bytes):
        if isinstance(content, str):
            content = content.format(reference=claim.reference).encode()
        file = SimpleUploadedFile("upload.csv", content, content_type="text/csv")
        return client.post(page.url(recall), {**page.fields(recall), "file": file})

    send.reference = claim.reference
    return send


def file_errors(response) -> str:
    return " ".join(response.context["form"].errors.get("file", []))


def good_file(page: Page, reference: str) -> str:
    return f"{page.header}\r\n{page.row.format(reference=reference)}\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "latin-1"])
def test_each_import_page_reads_each_encoding(page, send, encoding):
    # given: a good row with accented letters, saved in the encoding
    content = good_file(page, send.reference).encode(encoding)
    # when
    response = send(content)
    # then: read as it was written
    assert response.status_code == 200
    assert file_errors(response) == ""
    assert page.imported() == IMPORTED[page.name]


def test_each_import_page_refuses_a_field_of_200_kib(page, send):
    field = "x" * (200 * 1024)
    content = good_file(page, send.reference) + page.row.replace(",", f",{field},", 1)
    response = send(content)
    assert response.status_code == 200
    assert "Nothing imported: Line 3 of the file has a field longer than" in file_errors(response)
    assert page.imported() == []


def test_each_import_page_refuses_a_nul(page, send):
    response = send(good_file(page, send.reference) + "a,b\x00c,d\n")
    assert response.status_code == 200
    assert file_errors(response) == (
        "Nothing imported: The file is not CSV text: line 3 holds a NUL character."
    )
    assert page.imported() == []


def test_each_import_page_refuses_a_file_over_its_limit(page, send, monkeypatch):
    for module, name in page.limits:
        monkeypatch.setattr(module, name, 1024 * 1024)
    content = good_file(page, send.reference) + page.bad_row * (1024 * 1024 // len(page.bad_row))
    response = send(content)
    assert response.status_code == 200
    assert file_errors(response) == ("The file is larger than 1 MB. Split it and upload each part.")
    assert page.imported() == []


def test_each_import_page_refuses_a_file_without_its_columns(page, send):
    response = send("something,else\r\n" + page.row + "\r\n")
    assert response.status_code == 200
    assert "Nothing imported: The first line of the file must name the columns" in (
        file_errors(response)
    )
    assert "Missing:" in file_errors(response)
    assert page.imported() == []


def test_each_import_page_answers_200000_bad_rows_with_a_short_page(page, send):
    # given: a file of 200,000 bad rows (the tracking import takes at most 5,000 rows)
    bad_row = "X,U,1" if page.name == "tracking" else page.bad_row  # under its 2 MB
    content = f"{page.header}\n" + f"{bad_row}\n" * 200_000
    # when
    response = send(content)
    # then: the page is short, and nothing is imported
    assert response.status_code == 200
    assert len(response.content) < 500_000
    assert page.imported() == []
    if page.name == "tracking":
        assert "more than 5000 rows" in file_errors(response)
    else:
        page_text = response.content.decode()
        assert "200,000" in page_text or "200000" in page_text
        assert "199,000 more lines" in page_text or "199000 more lines" in page_text


@pytest.mark.parametrize("page", [PAGES["tracking"]])
def test_tracking_page_lists_the_first_thousand_of_5000_refused_rows(page, send):
    # given: as many bad rows as the tracking import takes
    rows = "".join(f"NOPE-{n:04d},UPS,1Z{n:016d}\n" for n in range(5000))
    response = send("reference,carrier,tracking_number\n" + rows)
    # then: each is counted, the first thousand listed
    page_text = response.content.decode()
    assert response.status_code == 200
    assert page_text.count('data-outcome="refused"') == 1000
    assert "4000 more lines" in page_text
    assert len(response.content) < 1_000_000
    assert not Shipment.objects.exists()


@pytest.mark.parametrize("page", [PAGES["tracking"]])
def test_tracking_page_names_ten_of_the_lines_sharing_a_reference(page, send):
    response = send("reference,carrier,tracking_number\n" + "NOPE-NOPE,UPS,1\n" * 5000)
    assert "The same reference is on lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 4990 more." in (
        response.content.decode()
    )
    assert len(response.content) < 1_000_000
