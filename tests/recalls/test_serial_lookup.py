import pytest

from recallcases.recalls.models import RegistryEntry
from recallcases.recalls.selectors import SerialVerdict, serial_lookup
from recallcases.recalls.services import registry_import
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "model"),
    [
        ("A3102DMX10000001", "A3102"),  # first of the range
        ("A3102DMX10000500", "A3102"),  # last of the range
        ("a3102 dmx1 0000 250", "A3102"),
        ("A3302DMX20000042", "A3302"),
    ],
)
def test_serial_lookup_recalled_names_the_product(recall, typed, model):
    check = serial_lookup(recall=recall, raw_serial=typed)
    assert check.verdict == SerialVerdict.RECALLED
    assert check.product.model == model


@pytest.mark.parametrize(
    ("typed", "verdict"),
    [
        ("A3102DMX10000000", SerialVerdict.NOT_RECALLED),  # just before the range
        ("A3102DMX10000501", SerialVerdict.NOT_RECALLED),  # just after
        ("A3102DMX1000042A", SerialVerdict.NOT_RECALLED),  # another shape entirely
        ("A3102DMX1000042", SerialVerdict.WRONG_LENGTH),
        ("A3102DMX100000420", SerialVerdict.WRONG_LENGTH),
        ("A3102DMX1000004?", SerialVerdict.MALFORMED),
        ("", SerialVerdict.MALFORMED),
    ],
)
def test_serial_lookup_not_recalled(recall, typed, verdict):
    check = serial_lookup(recall=recall, raw_serial=typed)
    assert check.verdict == verdict
    assert check.product is None


def test_serial_lookup_reads_o_as_zero(recall):
    check = serial_lookup(recall=recall, raw_serial="A31O2DMX1OOOOO42")
    assert check.is_recalled
    assert check.serial.value == "A3102DMX10000042"
    assert check.serial.letters_read_as_digits == (("O", "0"),)


def test_serial_lookup_ignores_other_recalls_registries(recall):
    other = ProductFactory(model="A3102")
    registry_import(
        recall=other.recall, rows=[{"model": "A3102", "first_serial": "ZZZZZZZZ00000001"}]
    )
    assert not serial_lookup(recall=recall, raw_serial="ZZZZZZZZ00000001").is_recalled
    assert serial_lookup(recall=other.recall, raw_serial="ZZZZZZZZ00000001").is_recalled


def test_serial_lookup_queries_stay_flat_as_registry_grows(recall, django_assert_num_queries):
    # given: ten thousand more single serials
    speaker = recall.products.get(model="A3102")
    RegistryEntry.objects.bulk_create(
        RegistryEntry(
            recall=recall,
            product=speaker,
            prefix="A3102SGL",
            digits=8,
            first_number=n,
            last_number=n,
        )
        for n in range(10_000)
    )
    # then: one query for the products, one for the registry
    with django_assert_num_queries(2):
        assert serial_lookup(recall=recall, raw_serial="A3102SGL00005000").is_recalled
