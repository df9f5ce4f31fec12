"""A recall file is checked whole: every error named with its field, and nothing loaded."""

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from recallcases.recalls.demo import DEMO_RECALL_FILE, POWER_BANK_FILE
from recallcases.recalls.models import Product, ProofItem, Recall
from recallcases.recalls.recall_file import RecallFileInvalid, loadable_fields, recall_file_check
from recallcases.recalls.services import recall_load

DOC = Path(settings.BASE_DIR) / "docs" / "recall-file.md"
SPEAKERS = json.loads(DEMO_RECALL_FILE.read_text(encoding="utf-8"))


def errors_of(data) -> list[str]:
    with pytest.raises(RecallFileInvalid) as refused:
        recall_file_check(data)
    return refused.value.lines()


def speakers(**recall_changes) -> dict:
    data = copy.deepcopy(SPEAKERS)
    data["recall"].update(recall_changes)
    return data


@pytest.mark.parametrize("path", [DEMO_RECALL_FILE, POWER_BANK_FILE], ids=lambda p: p.name)
def test_recall_load_example_files_load_cleanly(db, path):
    data = json.loads(path.read_text(encoding="utf-8"))
    recall_file_check(data, base_dir=path.parent)
    recall = recall_load(data=data, base_dir=path.parent)
    assert recall.slug == data["recall"]["slug"]
    assert recall.products.count() == len(data["products"])


def test_recall_load_power_bank_file_gives_every_field():
    # The complete example the documentation points to: it leaves out only settings whose
    # default is a value (is_open, reminders, retention), and gives every field of a product.
    data = json.loads(POWER_BANK_FILE.read_text(encoding="utf-8"))
    left_out = set(loadable_fields(Recall)) - set(data["recall"])
    assert left_out
    for name in left_out:
        field = loadable_fields(Recall)[name]
        assert field.has_default() and field.get_default() not in field.empty_values, name
    assert set(data["products"][0]) == set(loadable_fields(Product))
    # ...and of each proof item but its place (its position in the list)
    assert set(data["proof_items"][0]) == set(loadable_fields(ProofItem)) - {"order"}


def test_recall_file_doc_names_every_field_and_points_to_both_examples():
    doc = DOC.read_text(encoding="utf-8")
    for name in [*loadable_fields(Recall), *loadable_fields(Product), *loadable_fields(ProofItem)]:
        assert f"`{name}`" in doc, name
    assert "recallcases/recalls/data/anker-speakers-2024.json" in doc
    assert "recallcases/recalls/data/anker-power-banks-2025.json" in doc


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"countries": ["US", "XX"]},
            'countries: "XX" is not a country this program serves (US, CA)',
        ),
        ({"remedies": ["cash"]}, 'remedies: "cash" is not a remedy this program offers'),
        ({"countries": "US"}, "countries: must be a list of texts"),
        ({"countries": []}, "countries: This field cannot be blank."),
        ({"units_affected": "69,000"}, 'units_affected: must be a whole number, not "69,000"'),
        (
            {"units_affected": -1},
            "units_affected: Ensure this value is greater than or equal to 0.",
        ),
        ({"is_open": "yes"}, 'is_open: must be true or false, not "yes"'),
        ({"title_en": 5}, "title_en: must be a text, not 5"),
        ({"title_en": "x" * 201}, "title_en: Ensure this value has at most 200 characters"),
        (
            {"announced_on": "12/05/2024"},
            'announced_on: "12/05/2024" is not a date written YYYY-MM-DD',
        ),
        ({"announced_on": "2024-02-30"}, 'announced_on: "2024-02-30" is not a date'),
        ({"product_gender_fr": "n"}, 'product_gender_fr: "n" is not one of: m, f'),
        (
            {"order_number": "maybe"},
            'order_number: "maybe" is not one of: absent, optional, required',
        ),
        ({"order_number_pattern": "[0-9"}, "order_number_pattern: Not a regular expression"),
        ({"order_number_example": "12-34"}, 'order_number_example: "12-34" does not match'),
        ({"support_email": "anker"}, "support_email: Enter a valid email address."),
        ({"slug": "Anker speakers"}, "slug: Enter a valid “slug”"),
        # /<lang>/check/ is the check across recalls: a recall there could never be reached
        ({"slug": "check"}, 'slug: "check" is the address of another page'),
        ({"regulator_references": ["CPSC"]}, "regulator_references: must be an object of texts"),
        ({"units_affected_canada": 70000}, "units_affected_canada: 70000 is more than"),
        ({"colour": "black"}, "colour: unknown field (a recall has no such field)"),
        (
            {"title_fr": ""},
            "title_fr: missing, though title_en is given: this recall is offered in English and "
            "French (Canada)",
        ),
        (
            {"languages": ["en", "fr-ca", "es-us"]},
            "title_es: missing, though title_en is given: this recall is offered in English, "
            "French (Canada) and Spanish (United States)",
        ),
        ({"languages": ["en", "de"]}, 'languages: "de" is not a language this program speaks'),
        ({"languages": ["en", "en"]}, 'languages: "en" is given twice'),
        ({"languages": []}, "languages: This field cannot be blank."),
        ({"languages": "en"}, "languages: must be a list of texts"),
        ({"serial_example": "A3102DMX1"}, 'serial_example: "A3102DMX1" has 9 characters; the'),
        ({"order_number_label_fr": ""}, "order_number_label_fr: missing, though"),
    ],
)
def test_recall_file_check_names_the_recall_field(changes, expected):
    errors = errors_of(speakers(**changes))
    assert any(line.startswith(expected) for line in errors), errors


def test_recall_file_check_names_a_missing_required_field():
    data = speakers()
    del data["recall"]["hazard_en"]
    del data["products"][0]["model"]
    errors = errors_of(data)
    assert "hazard_en: missing (it is required)" in errors
    assert "products[0].model: missing (it is required)" in errors


def test_recall_file_check_missing_french_text_is_named_even_when_absent():
    data = speakers()
    del data["recall"]["hazard_fr"]
    del data["products"][1]["name_fr"]
    errors = errors_of(data)
    assert any(line.startswith("hazard_fr: missing, though hazard_en is given") for line in errors)
    assert any(line.startswith("products[1].name_fr: missing") for line in errors)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"serial_length": 3}, "products[1].serial_length: must be a whole number from 4 to 40"),
        ({"serial_length": 41}, "products[1].serial_length: must be a whole number from 4 to 40"),
        ({"serial_length": "16"}, 'products[1].serial_length: must be a whole number, not "16"'),
        ({"serial_excluded_letters": "oi"}, 'products[1].serial_excluded_letters: "oi" must be'),
        ({"model_numbers": "A3302011"}, "products[1].model_numbers: must be a list of texts"),
        ({"model_numbers": ["A1", "a1"]}, 'products[1].model_numbers: "a1" is given twice'),
        ({"model_numbers": ["A3102016"]}, 'products[1].model_numbers: "A3102016" is already a'),
        ({"model": "A3102"}, 'products[1].model: "A3102" is already a model or model number of'),
        ({"model": "x" * 41}, "products[1].model: Ensure this value has at most 40 characters"),
        ({"colour": "black"}, "products[1].colour: unknown field (a product has no such field)"),
    ],
)
def test_recall_file_check_names_the_product_field(changes, expected):
    data = speakers()
    data["products"][1].update(changes)
    errors = errors_of(data)
    assert any(line.startswith(expected) for line in errors), errors


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], 'must be an object with "recall" and "products"'),
        ({"products": SPEAKERS["products"]}, "recall: missing (it is required)"),
        ({"recall": [], "products": SPEAKERS["products"]}, "recall: must be an object of fields"),
        ({"recall": SPEAKERS["recall"], "products": []}, "products: must be a list of at least"),
        ({"recall": SPEAKERS["recall"], "products": [1]}, "products[0]: must be an object"),
        ({**SPEAKERS, "serials": []}, "serials: unknown field at the top of the file"),
    ],
)
def test_recall_file_check_names_the_file_shape(data, expected):
    errors = errors_of(data)
    assert any(line.startswith(expected) for line in errors), errors


def test_recall_file_check_missing_recall_is_one_error():
    assert errors_of({"products": SPEAKERS["products"]}) == ["recall: missing (it is required)"]


def test_recall_file_check_reports_every_error_at_once():
    data = speakers(countries=["XX"], announced_on="5 Dec 2024", colour="black")
    del data["recall"]["company"]
    data["products"][0]["serial_length"] = 99
    data["products"][1]["model"] = "A3102"
    errors = errors_of(data)
    assert len(errors) == 6, errors
    assert {line.split(":")[0] for line in errors} == {
        "countries",
        "announced_on",
        "colour",
        "company",
        "products[0].serial_length",
        "products[1].model",
    }


def test_recall_load_with_errors_writes_nothing(db):
    recall_load(data=speakers())
    data = speakers(units_affected=1, title_en="Changed", countries=["XX"])
    data["products"].append({**SPEAKERS["products"][0], "model": "A9999", "serial_length": 2})
    with pytest.raises(RecallFileInvalid):
        recall_load(data=data)
    recall = Recall.objects.get()
    assert (recall.units_affected, recall.title_en) == (69000, SPEAKERS["recall"]["title_en"])
    assert Product.objects.count() == 2


def test_recall_load_refused_for_a_new_recall_creates_nothing(db):
    data = speakers(slug="refused-recall")
    data["products"][1]["name_en"] = ""
    with pytest.raises(RecallFileInvalid) as refused:
        recall_load(data=data)
    assert "products[1].name_en: This field cannot be blank." in refused.value.lines()
    assert not Recall.objects.exists() and not Product.objects.exists()


def test_recall_load_command_prints_every_error_and_loads_nothing(db, tmp_path):
    data = speakers(countries=["XX"], announced_on="2024/12/05")
    data["products"][1]["serial_length"] = 3
    path = tmp_path / "recall.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Nothing loaded: 3 errors in .*recall\.json"):
        call_command("recall_load", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        'announced_on: "2024/12/05" is not a date written YYYY-MM-DD, e.g. 2024-12-05',
        'countries: "XX" is not a country this program serves (US, CA)',
        "products[1].serial_length: must be a whole number from 4 to 40",
    ]
    assert not Recall.objects.exists()


def test_recall_load_command_refuses_a_file_that_is_not_json(db, tmp_path):
    path = tmp_path / "recall.json"
    path.write_text('{"recall": ', encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing loaded: Expecting value: line 1"):
        call_command("recall_load", str(path))


def test_recall_load_command_exits_non_zero_on_a_bad_file(tmp_path):
    # The file is checked before the database is touched: the real command, its real exit code.
    path = tmp_path / "recall.json"
    path.write_text(json.dumps(speakers(countries=["XX"], remedies=["cash"])), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "manage.py", "recall_load", str(path)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert 'countries: "XX" is not a country this program serves (US, CA)' in done.stderr
    assert 'remedies: "cash" is not a remedy this program offers' in done.stderr
    assert "Nothing loaded: 2 errors" in done.stderr
