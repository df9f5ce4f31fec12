"""Fulfilment by file: the CSV shipping list for the partner, and the import of tracking numbers."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recallcases.claims.models import ClaimEvent, ClaimStatus, Shipment
from recallcases.claims.services import claim_ship
from recallcases.claims.services.tracking import IMPORT_MAX_ROWS, tracking_import
from recallcases.claims.transitions import Actor
from recallcases.core.csv_files import CsvRefused, csv_cell
from tests.factories import ClaimFactory, ProductFactory, staff_user

pytestmark = pytest.mark.django_db

EXPORT = "/workspace/fulfilment/export.csv"
IMPORT = "/workspace/fulfilment/import/"
APPROVED = ClaimStatus.REPLACEMENT_APPROVED
SHIPPED = ClaimStatus.REPLACEMENT_SHIPPED
EXPORT_HEADER = [
    "reference",
    "product_model",
    "name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "email",
    "language",
]


def role_user(role: str):
    """A staff account in one of the roles the migration creates ("Fulfilment", "Reviewer")."""
    user = get_user_model().objects.create_user(
        username=f"{role.lower()}-{get_user_model().objects.count() + 1}",
        password="a-long-test-password",
        is_staff=True,
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def fulfilment(client):
    user = role_user("Fulfilment")
    client.force_login(user)
    return user


def export_rows(client) -> list[list[str]]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def tracking_csv(*rows: str, header: str = "reference,carrier,tracking_number") -> bytes:
    return "\n".join([header, *rows]).encode()


def upload(client, content: bytes, bad_rows: str = "all_or_nothing"):
    file = SimpleUploadedFile("tracking.csv", content, content_type="text/csv")
    return client.post(IMPORT, {"file": file, "bad_rows": bad_rows})


def outcomes(response) -> dict[str, tuple[str, str]]:
    """reference → (outcome, reason) of each row of the import's report."""
    return {row.reference: (row.outcome, row.reason) for row in response.context["report"].rows}


def statuses(*claims) -> list[str]:
    for claim in claims:
        claim.refresh_from_db()
    return [claim.status for claim in claims]


# Export


def test_export_lists_approved_claims_only_with_every_column(fulfilment, client, speaker):
    # given
    approved = ClaimFactory(
        status=APPROVED, product=speaker, address_line2="Apt 3", language="fr-ca"
    )
    for status in (ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED, SHIPPED, ClaimStatus.REJECTED):
        ClaimFactory(status=status, product=speaker)
    # when
    response = client.get(EXPORT)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-to-ship-')
    assert rows == [
        EXPORT_HEADER,
        [
            approved.reference,
            "A3102",
            "Alex Tremblay",
            "24 Sussex Drive",
            "Apt 3",
            "Ottawa",
            "ON",
            "K1A 0B1",
            "CA",
            "613-555-0100",
            approved.email,
            "fr-ca",
        ],
    ]


def test_export_lists_confirmed_disposal_when_recall_wants_disposal_first(fulfilment, client):
    # given: a recall that ships only once the proof of disposal is accepted
    product = ProductFactory(recall__disposal_before_shipping=True)
    confirmed = ClaimFactory(status=ClaimStatus.DISPOSAL_CONFIRMED, product=product)
    ClaimFactory(status=APPROVED, product=product)
    # when
    rows = export_rows(client)
    # then
    assert [row[0] for row in rows[1:]] == [confirmed.reference]


def test_export_escapes_cells_a_spreadsheet_would_run(fulfilment, client, speaker):
    # given: a consumer who typed formulas into the claim form
    ClaimFactory(
        status=APPROVED,
        product=speaker,
        name='=HYPERLINK("https://evil.example","Click")',
        address_line1="@SUM(1+1)",
        address_line2="\tTabbed",
        city="-2+3",
        phone="+1 613 555 0100",
        postal_code="\rK1A",
    )
    # when
    row = export_rows(client)[1]
    # then
    assert row[2] == '\'=HYPERLINK("https://evil.example","Click")'
    assert row[3:6] == ["'@SUM(1+1)", "'\tTabbed", "'-2+3"]
    assert row[7] == "'\rK1A"
    assert row[9] == "'+1 613 555 0100"


def test_csv_cell_leaves_ordinary_text_alone():
    assert csv_cell("613-555-0100") == "613-555-0100"
    assert csv_cell("") == ""
    assert csv_cell(None) == ""
    assert csv_cell("a=b") == "a=b"


def test_export_never_contains_the_access_token_hash(fulfilment, client, speaker):
    # given
    claim = ClaimFactory(status=APPROVED, product=speaker)
    # when
    response = client.get(EXPORT)
    content = b"".join(response.streaming_content).decode()
    # then
    assert claim.access_token_hash not in content
    assert claim.access_token_hash not in response["Content-Disposition"]
    assert "token" not in content.splitlines()[0]


def test_export_query_count_does_not_grow_with_claims(fulfilment, client, speaker):
    def queries_for_export() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            lines = export_rows(client)
        return len(queries), len(lines) - 1

    # given: a first request done, so one-off work at sign-in is not counted
    export_rows(client)
    ClaimFactory.create_batch(3, status=APPROVED, product=speaker)
    few, exported_few = queries_for_export()
    ClaimFactory.create_batch(27, status=APPROVED, product=speaker)
    # when
    many, exported_many = queries_for_export()
    # then
    assert (exported_few, exported_many) == (3, 30)
    assert many == few
    assert few <= 10  # sign-in, session and permission checks: none per claim


def test_export_refused_to_reviewer(client, speaker):
    # given: a reviewer sees claims but not consumers' shipping details
    ClaimFactory(status=APPROVED, product=speaker)
    client.force_login(role_user("Reviewer"))
    # when
    response = client.get(EXPORT)
    # then
    assert response.status_code == 403


def test_export_sends_anonymous_visitor_to_sign_in(client):
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/workspace/login/")


def test_fulfilment_page_links_export_and_import(fulfilment, client):
    page = client.get("/workspace/fulfilment/").content.decode()
    assert f'href="{EXPORT}"' in page
    assert f'href="{IMPORT}"' in page


# Import


def test_import_all_good_rows_ships_every_claim(fulfilment, client, speaker):
    # given
    claims = ClaimFactory.create_batch(3, status=APPROVED, product=speaker)
    content = tracking_csv(
        f"{claims[0].reference},UPS,1z999aa10123456784",
        f"{claims[1].reference},canada post,7023 2109 8765 4321",
        f"{claims[2].reference},Acme Freight,AF-1",
    )
    # when
    response = upload(client, content)
    # then
    assert response.status_code == 200
    assert "3 applied, 0 refused" in response.content.decode()
    assert statuses(*claims) == [SHIPPED] * 3
    shipments = {s.claim_id: s for s in Shipment.objects.all()}
    assert [(shipments[c.pk].carrier, shipments[c.pk].tracking_number) for c in claims] == [
        ("UPS", "1Z999AA10123456784"),
        ("Canada Post", "7023210987654321"),  # the spaces of the printed label dropped
        ("Acme Freight", "AF-1"),
    ]
    assert {s.recorded_by for s in shipments.values()} == {fulfilment}
    assert {s.remedy for s in shipments.values()} == {"replacement"}
    events = ClaimEvent.objects.filter(to_status=SHIPPED)
    assert sorted(e.claim_id for e in events) == sorted(c.pk for c in claims)
    assert {(e.actor, e.from_status) for e in events} == {(fulfilment, APPROVED)}


def test_import_ships_confirmed_disposal_when_recall_wants_disposal_first(fulfilment, client):
    # given: the claims the export lists for a recall that ships after the proof of disposal
    product = ProductFactory(recall__disposal_before_shipping=True)
    claim = ClaimFactory(status=ClaimStatus.DISPOSAL_CONFIRMED, product=product)
    # when
    response = upload(client, tracking_csv(f"{claim.reference},UPS,1Z0000000000000001"))
    # then
    assert outcomes(response) == {claim.reference: ("applied", "")}
    assert statuses(claim) == [SHIPPED]


def test_import_tolerates_header_case_spaces_bom_and_reference_spelling(
    fulfilment, client, speaker
):
    # given: a spreadsheet's export, with a byte order mark, loose headers and extra columns
    claim = ClaimFactory(status=APPROVED, product=speaker)
    loose_reference = claim.reference.replace("-", "").lower()
    content = "\ufeff Reference ,Carrier, Tracking Number ,REMEDY,Notes\r\n"
    content += f"{loose_reference},FedEx,123456789012,Replacement,left at door\r\n\r\n"
    # when
    response = upload(client, content.encode("utf-8"))
    # then
    assert outcomes(response) == {claim.reference: ("applied", "")}
    assert statuses(claim) == [SHIPPED]


def test_import_with_a_bad_row_all_or_nothing_applies_nothing(fulfilment, client, speaker):
    # given
    good = ClaimFactory.create_batch(2, status=APPROVED, product=speaker)
    content = tracking_csv(
        f"{good[0].reference},UPS,1Z0000000000000001",
        "XXXX-XXXX,UPS,1Z0000000000000002",
        f"{good[1].reference},UPS,1Z0000000000000003",
    )
    # when
    response = upload(client, content, bad_rows="all_or_nothing")
    # then
    assert not Shipment.objects.exists()
    assert statuses(*good) == [APPROVED, APPROVED]
    assert not ClaimEvent.objects.filter(to_status=SHIPPED).exists()
    report = response.context["report"]
    assert [(row.line, row.outcome) for row in report.rows] == [
        (2, "not applied"),
        (3, "refused"),
        (4, "not applied"),
    ]
    assert report.rows[1].reason == "No claim has this reference."
    assert "Nothing applied: 1 row refused." in response.content.decode()


def test_import_with_a_bad_row_good_rows_applies_exactly_the_good_rows(fulfilment, client, speaker):
    # given: the same file as above
    good = ClaimFactory.create_batch(2, status=APPROVED, product=speaker)
    content = tracking_csv(
        f"{good[0].reference},UPS,1Z0000000000000001",
        "XXXX-XXXX,UPS,1Z0000000000000002",
        f"{good[1].reference},UPS,1Z0000000000000003",
    )
    # when
    response = upload(client, content, bad_rows="good_rows")
    # then
    assert statuses(*good) == [SHIPPED, SHIPPED]
    assert sorted(Shipment.objects.values_list("tracking_number", flat=True)) == [
        "1Z0000000000000001",
        "1Z0000000000000003",
    ]
    assert [row.outcome for row in response.context["report"].rows] == [
        "applied",
        "refused",
        "applied",
    ]
    assert "2 applied, 1 refused" in response.content.decode()


def test_import_refuses_every_row_sharing_a_tracking_number(fulfilment, client, speaker):
    # given: two claims given the same tracking number (spelled differently), and a third claim
    first, second, third = ClaimFactory.create_batch(3, status=APPROVED, product=speaker)
    content = tracking_csv(
        f"{first.reference},UPS,1Z0000000000000001",
        f"{second.reference},ups, 1z0000000000000001 ",
        f"{third.reference},UPS,1Z0000000000000002",
    )
    # when
    response = upload(client, content, bad_rows="good_rows")
    # then
    assert outcomes(response) == {
        first.reference: ("refused", "The same tracking number is on lines 2, 3."),
        second.reference: ("refused", "The same tracking number is on lines 2, 3."),
        third.reference: ("applied", ""),
    }
    assert statuses(first, second, third) == [APPROVED, APPROVED, SHIPPED]


def test_import_refuses_every_row_sharing_a_reference(fulfilment, client, speaker):
    # given
    claim = ClaimFactory(status=APPROVED, product=speaker)
    content = tracking_csv(
        f"{claim.reference},UPS,1Z0000000000000001",
        f"{claim.reference},UPS,1Z0000000000000002",
    )
    # when
    response = upload(client, content, bad_rows="good_rows")
    # then
    assert [(row.outcome, row.reason) for row in response.context["report"].rows] == [
        ("refused", "The same reference is on lines 2, 3."),
    ] * 2
    assert statuses(claim) == [APPROVED]
    assert not Shipment.objects.exists()


def test_import_refuses_tracking_number_already_recorded(fulfilment, client, speaker):
    # given: a tracking number recorded for another claim one by one
    shipped = ClaimFactory(status=APPROVED, product=speaker)
    claim_ship(
        claim_id=shipped.pk,
        actor=Actor.staff(fulfilment),
        carrier="UPS",
        tracking_number="1Z0000000000000001",
    )
    claim = ClaimFactory(status=APPROVED, product=speaker)
    # when
    response = upload(client, tracking_csv(f"{claim.reference},UPS,1z0000000000000001"))
    # then
    assert outcomes(response) == {
        claim.reference: (
            "refused",
            "This tracking number is already recorded for another claim.",
        )
    }
    assert statuses(claim) == [APPROVED]
    assert Shipment.objects.count() == 1
    assert not ClaimEvent.objects.filter(claim=claim, to_status=SHIPPED).exists()


def test_import_refuses_unknown_reference(fulfilment, client, speaker):
    response = upload(client, tracking_csv("ACDE-FGHJ,UPS,1Z0000000000000001"))
    assert outcomes(response) == {"ACDE-FGHJ": ("refused", "No claim has this reference.")}


def test_import_refuses_claim_not_approved(fulfilment, client, speaker):
    # given
    verified = ClaimFactory(status=ClaimStatus.VERIFIED, product=speaker)
    # when
    response = upload(client, tracking_csv(f"{verified.reference},UPS,1Z0000000000000001"))
    # then
    outcome, reason = outcomes(response)[verified.reference]
    assert outcome == "refused"
    assert reason == "A claim that is “Verified” cannot become “Replacement shipped”."
    assert statuses(verified) == [ClaimStatus.VERIFIED]
    assert not Shipment.objects.exists()


def test_import_refuses_empty_carrier_or_tracking_number(fulfilment, client, speaker):
    # given
    first, second = ClaimFactory.create_batch(2, status=APPROVED, product=speaker)
    content = tracking_csv(f"{first.reference},,1Z0000000000000001", f"{second.reference},UPS, ")
    # when
    response = upload(client, content, bad_rows="good_rows")
    # then
    assert {outcome for outcome, _reason in outcomes(response).values()} == {"refused"}
    assert statuses(first, second) == [APPROVED, APPROVED]


def test_import_refuses_remedy_the_recall_does_not_offer(fulfilment, client, speaker):
    # given: the speaker recall offers replacements only
    claim, other = ClaimFactory.create_batch(2, status=APPROVED, product=speaker)
    content = tracking_csv(
        f"{claim.reference},UPS,1Z0000000000000001,refund",
        f"{other.reference},UPS,1Z0000000000000002,store credit",
        header="reference,carrier,tracking_number,remedy",
    )
    # when
    response = upload(client, content, bad_rows="good_rows")
    # then
    result = outcomes(response)
    assert result[claim.reference] == ("refused", "This recall does not offer that remedy.")
    assert result[other.reference][0] == "refused"
    assert "store_credit" in result[other.reference][1]
    assert statuses(claim, other) == [APPROVED, APPROVED]


def test_import_without_header_is_refused_and_applies_nothing(fulfilment, client, speaker):
    # given: the rows without their header line
    claim = ClaimFactory(status=APPROVED, product=speaker)
    content = f"{claim.reference},UPS,1Z0000000000000001\n".encode()
    # when
    response = upload(client, content)
    # then
    assert response.context["report"] is None
    errors = response.context["form"].errors["file"]
    assert errors == [
        "Nothing imported: The first line of the file must name the columns: reference, carrier, "
        "tracking_number, and optionally remedy. Missing: reference, carrier, tracking_number."
    ]
    assert statuses(claim) == [APPROVED]
    assert not Shipment.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty."),
        (b"\n \n", "The file is empty."),
        (b"reference,carrier,tracking_number\n", "The file has a header but no rows."),
        (tracking_csv(*["ACDE-FGHJ,UPS,1"] * (IMPORT_MAX_ROWS + 1)), "more than 5000 rows"),
        (tracking_csv("x" * (2 * 1024 * 1024)), "larger than 2 MB"),
    ],
)
def test_import_refuses_file_it_cannot_read(fulfilment, client, content, message):
    response = upload(client, content)
    assert message in " ".join(response.context["form"].errors["file"])
    assert response.context["report"] is None


def test_import_service_refuses_rows_for_actor_without_the_right(speaker):
    # given: a staff account that may see claims but not record shipments
    claim = ClaimFactory(status=APPROVED, product=speaker)
    actor = Actor.staff(staff_user("claims.view_claim", "claims.view_shipping_details"))
    file = io.BytesIO(tracking_csv(f"{claim.reference},UPS,1Z0000000000000001"))
    # when
    report = tracking_import(file=file, actor=actor, apply_good_rows=True)
    # then
    assert [(r.outcome, r.reason) for r in report.rows] == [
        ("refused", "You are not allowed to make this change.")
    ]
    assert statuses(claim) == [APPROVED]


def test_import_service_refuses_file_over_the_size_limit():
    file = SimpleUploadedFile("big.csv", b"reference,carrier,tracking_number\n" + b"x" * 2**21)
    with pytest.raises(CsvRefused):
        tracking_import(file=file, actor=Actor(kind="system"), apply_good_rows=True)


def test_import_page_shows_form_to_fulfilment(fulfilment, client):
    page = client.get(IMPORT).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'value="all_or_nothing"' in page and 'value="good_rows"' in page


def test_import_refused_to_reviewer(client, speaker):
    # given
    claim = ClaimFactory(status=APPROVED, product=speaker)
    client.force_login(role_user("Reviewer"))
    # when
    response = upload(client, tracking_csv(f"{claim.reference},UPS,1Z0000000000000001"))
    # then
    assert response.status_code == 403
    assert statuses(claim) == [APPROVED]
    assert client.get(IMPORT).status_code == 403


def test_import_sends_anonymous_visitor_to_sign_in(client):
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/workspace/login/")
