"""Proof items and pictures in a recall file, the admin and the consumer pages.

Pictures are public content (where a product's label is, an example of a good proof photo):
checked and re-encoded by the photo pipeline, stored under recall-pictures/, served by a view while
the recall is open, and to staff previewing it before.
"""

import copy
import io
import json
import shutil

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recallcases.claims.models import ClaimPhoto, PhotoKind
from recallcases.recalls.admin import ProductForm, ProofItemForm
from recallcases.recalls.models import ProofItem, Recall
from recallcases.recalls.recall_file import RecallFileInvalid, recall_file_check
from recallcases.recalls.services import recall_load
from tests.conftest import POWER_BANK_FILE
from tests.factories import ClaimFactory, staff_user
from tests.images import jpeg_bytes

POWER_BANKS = json.loads(POWER_BANK_FILE.read_text(encoding="utf-8"))


def power_banks_file(tmp_path, **changes):
    """The power bank file copied to `tmp_path` with its pictures; `changes` edit its data."""
    shutil.copytree(POWER_BANK_FILE.parent / "pictures", tmp_path / "pictures")
    data = copy.deepcopy(POWER_BANKS)
    for edit in changes.values():
        edit(data)
    return data


def errors_of(data, base_dir) -> list[str]:
    with pytest.raises(RecallFileInvalid) as refused:
        recall_file_check(data, base_dir=base_dir)
    return refused.value.lines()


# The recall file ------------------------------------------------------------------------------


def test_fake_image_as_example_picture_is_refused_with_its_path(tmp_path):
    data = power_banks_file(tmp_path)
    (tmp_path / "pictures" / "fake.jpg").write_bytes(b"<?php echo 'not a picture'; ?>")
    data["proof_items"][0]["example_picture"] = "pictures/fake.jpg"
    assert errors_of(data, tmp_path) == [
        'proof_items[0].example_picture: "pictures/fake.jpg": This file is not a photo we can '
        "read. Please upload a JPEG, PNG, WebP or HEIC photo."
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/etc/passwd", "must be a path relative to the recall file's folder"),
        ("../anker-power-banks-2025.json", "must be a path relative to the recall file's folder"),
        ("pictures/none.jpg", "no such file next to the recall file"),
        (5, "must be a text, not 5"),
    ],
)
def test_label_picture_outside_the_files_folder_or_missing_is_refused(tmp_path, path, expected):
    data = power_banks_file(tmp_path)
    data["products"][0]["label_picture"] = path
    [error] = errors_of(data, tmp_path)
    assert error.startswith("products[0].label_picture: ")
    assert expected in error


def test_huge_picture_is_refused(tmp_path):
    data = power_banks_file(tmp_path)
    (tmp_path / "pictures" / "huge.jpg").write_bytes(b"\xff\xd8" + bytes(11 * 1024 * 1024))
    data["proof_items"][1]["example_picture"] = "pictures/huge.jpg"
    [error] = errors_of(data, tmp_path)
    assert error.startswith('proof_items[1].example_picture: "pictures/huge.jpg": This photo is')
    assert "too large" in error


def test_picture_without_the_files_folder_is_refused():
    [*errors] = errors_of(copy.deepcopy(POWER_BANKS), None)
    assert (
        "products[0].label_picture: a picture is read from a file next to the recall file"
        in (errors[0])
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda items: items[1].update(code="serial_label"),
            'proof_items[1].code: "serial_label" is already the code of proof_items[0]',
        ),
        (lambda items: items[0].pop("label_en"), "proof_items[0].label_en: missing"),
        (
            # the power bank recall is offered in English and Spanish
            lambda items: items[0].update(label_es=""),
            "proof_items[0].label_es: missing, though label_en is given",
        ),
        (lambda items: items[2].update(required="no"), "proof_items[2].required: must be true"),
        (lambda items: items[0].update(colour="red"), "proof_items[0].colour: unknown field"),
        (lambda items: items[0].update(code="a b"), "proof_items[0].code: Enter a valid"),
        (
            lambda items: [item.update(required=False) for item in items],
            "proof_items: at least one proof item must be required",
        ),
        (
            lambda items: items.extend([{"code": "x", "label_en": "X", "label_fr": "X"}]),
            "proof_items: must be a list of 1 to 3 proof items",
        ),
        (lambda items: items.clear(), "proof_items: must be a list of 1 to 3 proof items"),
    ],
)
def test_proof_items_errors_are_named_with_their_path(tmp_path, edit, expected):
    data = power_banks_file(tmp_path)
    edit(data["proof_items"])
    assert any(line.startswith(expected) for line in errors_of(data, tmp_path)), errors_of(
        data, tmp_path
    )


@pytest.mark.django_db
def test_recall_load_stores_pictures_re_encoded_once(tmp_path):
    data = power_banks_file(tmp_path)
    recall = recall_load(data=data, base_dir=tmp_path)
    product = recall.products.get()
    item = recall.proof_items.get(code="marked_unit")
    assert product.label_picture.name.startswith("recall-pictures/")
    assert item.example_picture.name.startswith("recall-pictures/")
    with default_storage.open(item.example_picture.name) as stored:
        picture = Image.open(io.BytesIO(stored.read()))
    assert picture.format == "JPEG"
    assert not picture.info.get("exif")
    # loading again stores nothing new and names the same files
    again = recall_load(data=data, base_dir=tmp_path)
    assert again.products.get().label_picture.name == product.label_picture.name
    assert [i.code for i in again.proof_items.all()] == ["serial_label", "marked_unit", "receipt"]
    assert [i.order for i in again.proof_items.all()] == [0, 1, 2]


@pytest.mark.django_db
def test_recall_load_drops_a_proof_item_left_out_unless_claims_have_photos_of_it(tmp_path):
    data = power_banks_file(tmp_path)
    recall = recall_load(data=data, base_dir=tmp_path)
    # an unused item left out of the file is removed
    data["proof_items"] = data["proof_items"][:2]
    recall_load(data=data, base_dir=tmp_path)
    assert [i.code for i in recall.proof_items.all()] == ["serial_label", "marked_unit"]
    # an item a claim has a photo of stays, and the file is refused
    claim = ClaimFactory(recall=recall, product=recall.products.get(), country="US")
    marked = recall.proof_items.get(code="marked_unit")
    ClaimPhoto.objects.create(
        claim=claim,
        kind=PhotoKind.PROOF,
        proof_item=marked,
        image="claims/proof/x.jpg",
        thumbnail="claims/proof/x-t.jpg",
        width=1,
        height=1,
        source_format="JPEG",
        source_sha256="0" * 64,
    )
    data["proof_items"] = data["proof_items"][:1]
    with pytest.raises(RecallFileInvalid) as refused:
        recall_load(data=data, base_dir=tmp_path)
    assert (
        'proof_items: "marked_unit" is missing, but claims have photos of it'
        in (refused.value.lines()[0])
    )
    assert recall.proof_items.filter(code="marked_unit").exists()


@pytest.mark.django_db
def test_recall_file_without_proof_items_keeps_the_recalls(tmp_path):
    data = power_banks_file(tmp_path)
    recall = recall_load(data=data, base_dir=tmp_path)
    del data["proof_items"]
    recall_load(data=data, base_dir=tmp_path)
    assert recall.proof_items.count() == 3


# The admin's picture checks ----------------------------------------------------------------------


def upload(content: bytes, name="picture.jpg"):
    return SimpleUploadedFile(name, content, "image/jpeg")


def png_with_text_chunk() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.django_db
def test_admin_refuses_a_fake_example_picture(power_banks):
    item = power_banks.proof_items.get(code="receipt")
    form = ProofItemForm(
        data={"code": "receipt", "label_en": "Receipt", "order": 2, "required": ""},
        files={"example_picture": upload(b"GIF89a<script>alert(1)</script>", "x.gif")},
        instance=item,
    )
    assert not form.is_valid()
    assert "example_picture" in form.errors


@pytest.mark.django_db
def test_admin_stores_a_label_picture_as_the_pipeline_re_encoded_it(power_banks):
    product = power_banks.products.get()
    form = ProductForm(
        data={
            "recall": power_banks.pk,
            "name_en": product.name_en,
            "model": product.model,
            "model_numbers": json.dumps(product.model_numbers),
            "serial_length": 14,
            "serial_excluded_letters": "OI",
        },
        files={"label_picture": upload(png_with_text_chunk(), "label.png")},
        instance=product,
    )
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.label_picture.name.startswith("recall-pictures/")
    assert saved.label_picture.name.endswith(".jpg")
    with default_storage.open(saved.label_picture.name) as stored:
        content = stored.read()
    assert content.startswith(b"\xff\xd8")
    assert b"secret" not in content


# The pictures on the consumer pages --------------------------------------------------------------


@pytest.mark.django_db
def test_check_page_shows_where_the_label_is_with_its_alt_text(client, power_banks):
    product = power_banks.products.get()
    page = client.post(
        "/en/anker-power-banks-2025/check/", {"serial": "A1263PB0000042"}
    ).content.decode()
    assert f'src="/recall-pictures/label/{product.pk}/"' in page
    assert 'alt="The back of the power bank: the label with the model A1263' in page
    assert (
        f'src="/recall-pictures/label/{product.pk}/"'
        in client.get("/en/anker-power-banks-2025/").content.decode()
    )


@pytest.mark.django_db
def test_recall_picture_of_an_open_recall_is_public(client, power_banks):
    item = power_banks.proof_items.get(code="marked_unit")
    response = client.get(f"/recall-pictures/example/{item.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    # an item without a picture, an unknown kind, an unknown id
    receipt = power_banks.proof_items.get(code="receipt")
    assert client.get(f"/recall-pictures/example/{receipt.pk}/").status_code == 404
    assert client.get(f"/recall-pictures/claim/{item.pk}/").status_code == 404
    assert client.get("/recall-pictures/label/999999/").status_code == 404


@pytest.mark.django_db
def test_recall_picture_of_a_closed_recall_only_to_staff_who_edit_recalls(
    client, power_banks, administrator, reviewer, as_user
):
    Recall.objects.filter(pk=power_banks.pk).update(is_open=False)
    url = f"/recall-pictures/label/{power_banks.products.get().pk}/"
    assert client.get(url).status_code == 404
    assert as_user(reviewer).get(url).status_code == 404
    response = as_user(administrator).get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


# The preview of the consumer pages ---------------------------------------------------------------


@pytest.mark.django_db
def test_preview_shows_a_closed_recalls_pages_to_staff_who_edit_recalls(
    client, power_banks, administrator, as_user
):
    Recall.objects.filter(pk=power_banks.pk).update(is_open=False)
    assert client.get("/en/anker-power-banks-2025/").status_code == 404
    as_user(administrator)
    response = client.get("/en/preview/anker-power-banks-2025/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex">' in page
    assert "consumers see this page once the recall is open to claims" in page
    assert "Anker PowerCore 10000 power banks recalled" in page
    claim_form = client.get("/en/preview/anker-power-banks-2025/?page=claim").content.decode()
    assert 'name="photo_marked_unit"' in claim_form
    assert "/recall-pictures/example/" in claim_form
    # in French too
    french = client.get("/fr-ca/preview/anker-power-banks-2025/?page=claim").content.decode()
    assert "Photo de la batterie externe marquée « rappelée »" in french


@pytest.mark.django_db
def test_preview_is_refused_to_the_public_and_to_staff_who_do_not_edit_recalls(
    client, power_banks, reviewer, manager, as_user
):
    assert client.get("/en/preview/anker-power-banks-2025/").status_code == 404
    assert as_user(reviewer).get("/en/preview/anker-power-banks-2025/").status_code == 404
    assert as_user(manager).get("/en/preview/anker-power-banks-2025/").status_code == 404


@pytest.mark.django_db
def test_preview_needs_the_second_factor_where_it_is_due(client, power_banks):
    from recallcases.workspace.models import StaffPolicy

    # the policy asks for a second factor; this account typed only its password
    StaffPolicy.objects.update_or_create(pk=1, defaults={"require_two_factor": True})
    client.force_login(staff_user("recalls.change_recall"))
    assert client.get("/en/preview/anker-power-banks-2025/").status_code == 404


@pytest.mark.django_db
def test_admin_recall_page_edits_proof_items_and_pictures_and_links_the_preview(
    client, power_banks, administrator, as_user
):
    page = as_user(administrator).get(f"/admin/recalls/recall/{power_banks.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/en/preview/anker-power-banks-2025/"' in html
    assert 'name="proof_items-0-example_picture"' in html
    assert 'name="proof_items-0-seen_before_verify"' in html
    assert 'name="products-0-label_picture"' in html
    assert 'name="products-0-label_picture_alt_fr"' in html


@pytest.mark.django_db
def test_proof_item_model_codes_name_the_claim_forms_fields(power_banks):
    assert [item.field_name for item in ProofItem.objects.filter(recall=power_banks)] == [
        "photo",
        "photo_marked_unit",
        "photo_receipt",
    ]


def test_a_jpeg_is_accepted_as_a_picture(tmp_path):
    data = power_banks_file(tmp_path)
    (tmp_path / "pictures" / "plain.jpg").write_bytes(jpeg_bytes())
    data["products"][0]["label_picture"] = "pictures/plain.jpg"
    recall_file_check(data, base_dir=tmp_path)
