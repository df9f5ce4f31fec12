import pytest

from recallcases.claims.tokens import (
    REFERENCE_ALPHABET,
    hash_access_token,
    new_access_token,
    new_reference,
    normalise_reference,
)
from recallcases.core.addresses import AddressError, normalise_postal_code


@pytest.mark.parametrize(
    ("country", "region", "typed", "expected"),
    [
        ("CA", "ON", "k1a0b1", "K1A 0B1"),
        ("CA", "ON", " K1A  0B1 ", "K1A 0B1"),
        ("CA", "QC", "H3A 3G4", "H3A 3G4"),
        ("US", "NY", "10001", "10001"),
        ("US", "NY", "10001-1234", "10001-1234"),
        ("US", "NY", "100011234", "10001-1234"),
    ],
)
def test_postal_code_normalised(country, region, typed, expected):
    assert normalise_postal_code(country=country, raw=typed, region=region) == expected


@pytest.mark.parametrize(
    ("country", "region", "typed", "message"),
    [
        ("CA", "ON", "K1A 0B", "K1A 0B1"),
        ("CA", "ON", "D1A 0B1", "K1A 0B1"),  # D is never used
        ("CA", "ON", "12345", "K1A 0B1"),
        ("CA", "BC", "K1A 0B1", "not in the province"),
        ("US", "NY", "1000", "ZIP"),
        ("US", "NY", "K1A 0B1", "ZIP"),
        ("FR", "", "75001", "United States and Canada"),
    ],
)
def test_postal_code_refused_with_a_clear_message(country, region, typed, message):
    with pytest.raises(AddressError, match=message):
        normalise_postal_code(country=country, raw=typed, region=region)


def test_reference_has_no_look_alike_characters():
    references = {new_reference() for _ in range(500)}
    assert len(references) == 500
    for reference in references:
        assert len(reference) == 9 and reference[4] == "-"
        assert not set(reference.replace("-", "")) & set("0O1IL2Z5S8BUV")
        assert set(reference.replace("-", "")) <= set(REFERENCE_ALPHABET)


def test_reference_read_back_from_the_phone():
    assert normalise_reference(" k7mq 4txa ") == "K7MQ-4TXA"


def test_access_token_is_long_and_stored_as_hash():
    token = new_access_token()
    assert len(token) >= 43
    assert hash_access_token(token) != token
    assert hash_access_token(token) == hash_access_token(token)
