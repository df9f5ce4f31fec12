"""The words a consumer reads are the recall's data: loaded from its file, kept in step."""

import importlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from recallcases.recalls.demo import DEMO_RECALL_FILE
from recallcases.recalls.models import Recall
from recallcases.recalls.services import recall_load
from tests.factories import ProductFactory, RecallFactory

pytestmark = pytest.mark.django_db


def test_speaker_words_migration_matches_the_speaker_file():
    # Databases made before the words were data get them from the migration: the same values.
    migration = importlib.import_module("recallcases.recalls.migrations.0006_speaker_recall_words")
    recall = json.loads(DEMO_RECALL_FILE.read_text(encoding="utf-8"))["recall"]
    assert recall["slug"] == migration.SLUG
    assert {name: recall[name] for name in migration.WORDS} == migration.WORDS


def test_recall_words_read_in_the_active_language():
    recall = RecallFactory(product_noun_en="power bank", product_noun_fr="batterie externe")
    with translation.override("fr-ca"):
        assert recall.product_noun == "batterie externe"
    with translation.override("en"):
        assert recall.product_noun == "power bank"


def test_a_new_recall_has_neutral_words():
    recall = RecallFactory()
    assert (recall.product_noun_en, recall.product_noun_fr) == ("product", "produit")
    assert recall.order_number == "absent" and recall.order_number_label_en == ""


def test_serial_lengths_of_a_recall_name_each_length_once():
    recall = RecallFactory()
    ProductFactory(recall=recall, serial_length=16)
    ProductFactory(recall=recall, serial_length=14)
    ProductFactory(recall=recall, serial_length=16)
    assert recall.serial_lengths == "14/16"


def test_order_number_pattern_must_match_whole():
    recall = RecallFactory(order_number_pattern=r"[A-Z]{2}-\d{8}")
    assert recall.order_number_matches("NE-12345678")
    assert not recall.order_number_matches("NE-123456789")
    assert not recall.order_number_matches("xNE-12345678")


def test_recall_load_refuses_an_order_number_pattern_that_is_no_regex():
    data = json.loads(DEMO_RECALL_FILE.read_text(encoding="utf-8"))
    data["recall"]["order_number_pattern"] = "[0-9"
    data["recall"]["slug"] = "broken-pattern"
    with pytest.raises(ValidationError) as refused:
        recall_load(data=data)
    assert "order_number_pattern" in refused.value.message_dict
    assert not Recall.objects.filter(slug="broken-pattern").exists()
