"""Properties of ZIP and postal code validation, alone and in the claim form."""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recallcases.consumer.forms import ClaimForm
from recallcases.core.addresses import AddressError, normalise_postal_code
from tests.properties.strategies import AWKWARD, DB_EXAMPLES, any_case, any_text, spread

ASCII_DIGITS = "0123456789"
# Letters a Canadian postal code may hold: first, and in the other places.
FIRST_LETTERS = "ABCEGHJKLMNPRSTVXY"
OTHER_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
# The province or territory each first letter belongs to.
DISTRICTS = {
    "A": {"NL"}, "B": {"NS"}, "C": {"PE"}, "E": {"NB"}, "G": {"QC"}, "H": {"QC"}, "J": {"QC"},
    "K": {"ON"}, "L": {"ON"}, "M": {"ON"}, "N": {"ON"}, "P": {"ON"}, "R": {"MB"}, "S": {"SK"},
    "T": {"AB"}, "V": {"BC"}, "X": {"NT", "NU"}, "Y": {"YT"},
}  # fmt: skip
CANONICAL = {
    "US": re.compile(r"[0-9]{5}(-[0-9]{4})?"),
    "CA": re.compile(r"[A-Z][0-9][A-Z] [0-9][A-Z][0-9]"),
}
WHITESPACE = st.sampled_from([" ", "  ", "\t", "\u00a0", "\n"])


def digits(n):
    return st.text(alphabet=ASCII_DIGITS, min_size=n, max_size=n)


zip_codes = st.tuples(digits(5), st.one_of(st.none(), digits(4)))


@st.composite
def postal_codes(draw):
    letter = st.sampled_from(OTHER_LETTERS)
    digit = st.sampled_from(ASCII_DIGITS)
    first = draw(st.sampled_from(FIRST_LETTERS))
    return first + draw(digit) + draw(letter) + " " + draw(digit) + draw(letter) + draw(digit)


@given(zip_code=zip_codes, data=st.data())
def test_zip_code_in_any_spacing_normalises_to_the_canonical_form(zip_code, data):
    # given
    five, four = zip_code
    canonical = five if four is None else f"{five}-{four}"
    joined = five if four is None else five + data.draw(st.sampled_from(["", "-"])) + four
    typed = data.draw(spread(joined, WHITESPACE))
    # when / then
    assert normalise_postal_code(country="US", raw=typed) == canonical


@given(code=postal_codes(), data=st.data())
def test_postal_code_in_any_case_and_spacing_normalises_to_the_canonical_form(code, data):
    typed = data.draw(any_case(code.replace(" ", "")).flatmap(lambda t: spread(t, WHITESPACE)))
    region = data.draw(st.sampled_from(["", *sorted(DISTRICTS[code[0]])]))
    assert normalise_postal_code(country="CA", raw=typed, region=region) == code


@given(code=postal_codes(), region=st.sampled_from(sorted(set().union(*DISTRICTS.values()))))
def test_postal_code_of_another_province_refused(code, region):
    if region in DISTRICTS[code[0]]:
        assert normalise_postal_code(country="CA", raw=code, region=region) == code
    else:
        with pytest.raises(AddressError):
            normalise_postal_code(country="CA", raw=code, region=region)


def _normalise_or_none(*, country, raw):
    try:
        return normalise_postal_code(country=country, raw=raw)
    except AddressError as error:
        assert str(error.message)  # a message fit to show, never an empty one
        return None


def shaped_like_a_code(draw_from):
    """Text near a ZIP or postal code: its characters and look-alikes, in any order and length."""
    return st.lists(st.sampled_from(draw_from), max_size=14).map("".join)


near_codes = st.one_of(
    any_text,
    shaped_like_a_code(
        [*ASCII_DIGITS, *FIRST_LETTERS.lower(), "-", " ", "O", "I", "D", "W", *AWKWARD]
    ),
)


@given(country=st.sampled_from(["US", "CA", "FR", "", "us"]), raw=near_codes)
# ſ is upper-cased to S, and S1A 0B1 is a postal code of Saskatchewan.
@example(country="CA", raw="ſ1A0B1")
@example(country="US", raw="12345-")
@example(country="US", raw="12345\n")
@example(country="CA", raw="K1A 0B1\n")
@example(country="US", raw="\x0012345")
def test_postal_code_refused_or_canonical_never_raises_otherwise(country, raw):
    code = _normalise_or_none(country=country, raw=raw)
    if code is None:
        return
    assert country in CANONICAL
    # canonical, and normalising it again changes nothing
    assert normalise_postal_code(country=country, raw=code) == code
    # ASCII only: other scripts' digits are refused (see the tests below)
    assert CANONICAL[country].fullmatch(code), code
    assert code.isascii(), code


@given(country=st.sampled_from(["US", "CA"]), data=st.data())
@example(country="US", data=None).via("Arabic-Indic digits")
def test_postal_code_with_digits_of_another_script_refused(country, data):
    other_digits = st.characters(categories=["Nd"]).filter(lambda c: c not in ASCII_DIGITS)
    if data is None:
        typed = "٠١٢٣٤"
    elif country == "US":
        typed = data.draw(st.lists(other_digits, min_size=5, max_size=5).map("".join))
    else:
        typed = "K" + data.draw(other_digits) + "A" + data.draw(other_digits) + "B1"
    with pytest.raises(AddressError):
        normalise_postal_code(country=country, raw=typed)


@pytest.mark.parametrize("typed", ["１２３４５", "٠١٢٣٤", "12３45", "K１A 0B1"])
def test_postal_code_with_fullwidth_or_arabic_indic_digits_refused(typed):
    country = "CA" if typed[0] == "K" else "US"
    with pytest.raises(AddressError):
        normalise_postal_code(country=country, raw=typed)


def _claim_form(recall, **address):
    return ClaimForm(data={"language": "en", **address}, recall=recall)


@settings(max_examples=DB_EXAMPLES)
@given(code=postal_codes(), data=st.data())
def test_claim_form_stores_the_postal_code_in_its_canonical_form(recall, code, data):
    # given: the code in any case, with a space or none (the field holds 12 characters)
    typed = data.draw(any_case(code)) if data.draw(st.booleans()) else code.replace(" ", "").lower()
    region = sorted(DISTRICTS[code[0]])[0]
    # when
    form = _claim_form(recall, country="CA", region=region, postal_code=typed)
    form.is_valid()
    # then
    assert "postal_code" not in form.errors
    assert "region" not in form.errors
    assert form.cleaned_data["postal_code"] == code


@settings(max_examples=DB_EXAMPLES)
@given(
    country=st.sampled_from(["US", "CA", "FR", ""]),
    region=st.sampled_from(["", "ON", "QC", "NY", "XX"]),
    postal_code=near_codes,
)
@example(country="CA", region="ON", postal_code="ſ1A0B1")
def test_claim_form_refuses_or_normalises_any_postal_code(recall, country, region, postal_code):
    form = _claim_form(recall, country=country, region=region, postal_code=postal_code)
    form.is_valid()  # never raises
    # a postal code is normalised once the country and region are right; else the form is refused
    if not {"country", "region", "postal_code"} & set(form.errors):
        code = form.cleaned_data["postal_code"]
        assert CANONICAL[country].fullmatch(code), code
        assert code.isascii(), code
