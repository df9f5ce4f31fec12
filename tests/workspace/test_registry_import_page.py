"""The workspace page that imports a recall's serials: Administrators only, with its report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from recallcases.recalls.models import RegistryEntry
from recallcases.recalls.selectors import serial_lookup
from recallcases.workspace.roles import ADMINISTRATOR, FULFILMENT, RECALL_MANAGER, REVIEWER
from recallcases.workspace.views import registry
from tests.factories import RecallFactory
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db

PAGE = "/workspace/registry/import/"
CSV = (
    "model,first_serial,last_serial\n"
    "A3102,A3102BNX00000001,A3102BNX00000100\n"  # 2: a range of 100
    "A3302011,A3302BNX00000001,\n"  # 3: a single serial, by model number
    "A3102,A3102DMX10000042,\n"  # 4: already in the registry (demo range)
    "A3102,A3102BNX00000050,\n"  # 5: inside line 2
    "A9999,A9999BNX00000001,\n"  # 6: no such model
    "A3102,A3102BNX0000001,\n"  # 7: too short
)


def upload(client, recall, content: bytes, name: str = "registry.csv"):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(PAGE, {"recall": recall.pk, "file": file})


def added(recall) -> int:
    return RegistryEntry.objects.filter(recall=recall, is_demo=False).count()


@pytest.fixture
def administrator_client(client, recall):
    client.force_login(member_of(ADMINISTRATOR))
    return client


def test_registry_import_page_shows_the_form_with_every_recall(administrator_client, recall):
    other = RecallFactory(title_en="Another recall", is_open=False)
    page = administrator_client.get(PAGE).content.decode()
    assert 'id="import-form"' in page and 'enctype="multipart/form-data"' in page
    assert recall.title_en in page and other.title_en in page
    assert "A file of a million rows takes a minute or so" in page


def test_registry_import_page_imports_and_reports_by_line(administrator_client, recall):
    # when: an Administrator uploads the file
    response = upload(administrator_client, recall, CSV.encode())
    # then: the good rows are in the registry, and the page says what happened to each other row
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "6 rows read, 2 rows added (101 serials; registry entries stored: 2), 2 already in the "
        "registry or earlier in the file, 2 invalid."
    ) in page
    assert '<tr data-outcome="duplicate"><td>4</td>' in page
    assert "A3102DMX10000042" in page
    assert '<tr data-outcome="duplicate"><td>5</td>' in page
    assert '<tr data-outcome="invalid"><td>6</td>' in page
    assert "unknown model &#x27;A9999&#x27; for this recall" in page
    assert '<tr data-outcome="invalid"><td>7</td>' in page
    assert added(recall) == 2
    assert serial_lookup(recall=recall, raw_serial="A3102BNX00000100").is_recalled
    assert serial_lookup(recall=recall, raw_serial="A3302BNX00000001").is_recalled


def test_registry_import_page_says_when_the_lists_are_cut(
    administrator_client, recall, monkeypatch
):
    from recallcases.recalls import services

    monkeypatch.setattr(services, "REPORT_LIST_LIMIT", 1)
    monkeypatch.setattr(registry, "REPORT_LIST_LIMIT", 1)
    page = upload(administrator_client, recall, CSV.encode()).content.decode()
    assert "Only the first 1 invalid rows and the first 1 duplicates are listed" in page
    assert page.count('data-outcome="invalid"') == 1
    assert page.count('data-outcome="duplicate"') == 1


def test_registry_import_page_reads_a_big_upload_from_its_temporary_file(
    administrator_client, recall
):
    # given: a file above the size Django keeps in memory (written to a temporary file instead)
    rows = "".join(f"A3102,A3102BNX{n:08d},\n" for n in range(1, 4001))
    content = ("\ufeffmodel,first_serial,last_serial\r\n" + rows).encode()
    # when
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=10_000):
        response = upload(administrator_client, recall, content)
    # then: all of it is read, byte order mark and all
    assert (
        "4,000 rows read, 4,000 rows added (4,000 serials; registry entries stored: 1)"
        in response.content.decode()
    )
    assert added(recall) == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"model,serial\nA3102,A3102BNX00000001\n", "Missing: first_serial"),
        (
            CSV.encode() + b"A3102,A3102BNX\x0000000002,\n" + CSV.encode(),
            "line 8 holds a NUL character",
        ),
    ],
)
def test_registry_import_page_refuses_a_broken_file_and_imports_nothing(
    administrator_client, recall, content, why
):
    response = upload(administrator_client, recall, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing imported:" in page and why in page
    assert 'id="import-report"' not in page
    assert added(recall) == 0


def test_registry_import_page_refuses_a_file_over_the_limit(
    administrator_client, recall, monkeypatch
):
    monkeypatch.setattr(registry, "UPLOAD_MAX_BYTES", 1024 * 1024)
    content = b"model,first_serial,last_serial\n" + b"A3102,A3102BNX00000001,\n" * 50_000
    page = upload(administrator_client, recall, content).content.decode()
    assert "The file is larger than 1 MB" in page
    assert added(recall) == 0


@pytest.mark.parametrize("role", [REVIEWER, FULFILMENT])
def test_registry_import_page_is_refused_to_other_roles(client, recall, role):
    client.force_login(member_of(role))
    assert client.get(PAGE).status_code == 403
    assert upload(client, recall, CSV.encode()).status_code == 403
    assert added(recall) == 0


def test_registry_import_page_sends_anonymous_visitors_to_sign_in(client, recall):
    response = upload(client, recall, CSV.encode())
    assert response.status_code == 302
    assert response["Location"].startswith("/workspace/login/")
    assert added(recall) == 0


def test_recall_manager_loads_the_registry_too(client, recall):
    client.force_login(member_of(RECALL_MANAGER))
    assert client.get(PAGE).status_code == 200
    upload(client, recall, CSV.encode())
    assert added(recall) > 0
