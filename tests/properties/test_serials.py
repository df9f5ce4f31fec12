"""Properties of serial normalisation and of the registry lookup, over generated input."""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recallcases.recalls.selectors import SerialVerdict, serial_lookup
from recallcases.recalls.serials import normalise_serial
from recallcases.recalls.services import registry_import
from tests.factories import ProductFactory
from tests.properties.strategies import (
    AWKWARD,
    DB_EXAMPLES,
    SEPARATORS,
    SERIAL_ALPHABET,
    SERIAL_LETTERS,
    any_case,
    any_text,
    rolled_back,
    serials,
    spread,
)

# What a consumer may type for a serial to be read: ASCII letters and digits, and separators.
_TYPEABLE = re.compile(r"[A-Za-z0-9\s\-‐‑‒–—―−_.·/]*")

awkward_text = st.lists(
    st.one_of(st.sampled_from(AWKWARD), st.sampled_from(SERIAL_ALPHABET)), max_size=40
).map("".join)


@given(raw=st.one_of(any_text, awkward_text))
@example(raw="A3102DMX1000004ı")
def test_normalise_serial_is_idempotent(raw):
    once = normalise_serial(raw)
    twice = normalise_serial(once.value)
    assert twice.value == once.value
    assert twice.letters_read_as_digits == ()


@given(
    serial=serials.flatmap(
        lambda s: any_case(s).flatmap(lambda t: spread(t, st.sampled_from(SEPARATORS)))
    )
)
def test_normalise_serial_ignores_separators_and_case(serial):
    canonical = re.sub(r"[^A-Z0-9]", "", serial.upper())
    assert normalise_serial(serial).value == canonical
    assert normalise_serial(serial).letters_read_as_digits == ()


@given(serial=serials)
def test_normalise_serial_round_trips_a_serial_of_the_alphabet(serial):
    normalised = normalise_serial(serial)
    assert normalised.value == serial
    assert normalised.is_well_formed
    assert normalised.letters_read_as_digits == ()


@given(
    serial=serials.filter(lambda s: "0" in s or "1" in s),
    data=st.data(),
)
def test_normalise_serial_reads_o_and_i_as_digits_and_says_so(serial, data):
    # given: some zeros typed as O (or o), some ones as I (or i)
    typed = "".join(
        data.draw(st.sampled_from({"0": "0Oo", "1": "1Ii"}[c])) if c in "01" else c for c in serial
    )
    # when
    normalised = normalise_serial(typed)
    # then
    assert normalised.value == serial
    said = dict(normalised.letters_read_as_digits)
    assert ("O" in said) == ("o" in typed.lower())
    assert ("I" in said) == ("i" in typed.lower())
    assert all(said[letter] == {"O": "0", "I": "1"}[letter] for letter in said)


@given(raw=st.one_of(any_text, awkward_text))
def test_normalise_serial_output_never_holds_o_or_i(raw):
    value = normalise_serial(raw).value
    assert "O" not in value
    assert "I" not in value


@given(raw=st.one_of(any_text, awkward_text, st.text(max_size=5000)))
# Letters outside ASCII whose upper case is ASCII were taken as serial characters: a dotless ı
# was read as I then 1, ß as SS, ſ as S, the ligature ﬁ as F1 (fixed: only ASCII is upper-cased).
@example(raw="A3102DMX1000004ı")
@example(raw="A3102DMX100000ß")
@example(raw="A3102DMX1000004ſ")
@example(raw="ﬁ")
@example(raw="A" * 100_000 + "\x00")
@example(raw="\u200fA3102DMX10000042")
@example(raw="A3102DMX１００００042")
def test_normalise_serial_refuses_what_no_serial_holds(raw):
    if normalise_serial(raw).is_well_formed:
        assert _TYPEABLE.fullmatch(raw)


@pytest.mark.django_db
@settings(max_examples=DB_EXAMPLES)
@given(raw=st.one_of(any_text, awkward_text, st.just(""), st.text(max_size=1000)))
@example(raw="\x00" * 16)
@example(raw="A3102DMX1000004\x00")
@example(raw="A3102DMX١٠٠٠٠٠٤٢")
@example(raw="ı")
def test_serial_lookup_never_raises_and_refuses_what_is_not_a_serial(recall, raw):
    check = serial_lookup(recall=recall, raw_serial=raw)
    assert check.verdict in SerialVerdict
    assert (check.product is not None) == check.is_recalled
    if not _TYPEABLE.fullmatch(raw):
        assert check.verdict == SerialVerdict.MALFORMED


@pytest.fixture
def product(db):
    return ProductFactory(serial_length=16, serial_excluded_letters="OI")


@st.composite
def registered_ranges(draw):
    """A range of serials as a registry names it: a letter prefix, then a number of fixed width."""
    prefix = draw(st.text(alphabet=SERIAL_LETTERS, min_size=1, max_size=10))
    digits = 16 - len(prefix)
    top = 10**digits - 1
    first = draw(st.integers(min_value=0, max_value=top))
    last = draw(st.integers(min_value=first, max_value=min(top, first + 10**6)))
    return prefix, digits, first, last


@settings(max_examples=DB_EXAMPLES)
@given(span=registered_ranges(), data=st.data())
def test_serial_lookup_finds_a_serial_inside_a_range_and_not_outside(product, span, data):
    prefix, digits, first, last = span

    def serial(number):
        return f"{prefix}{number:0{digits}d}"

    with rolled_back():
        # given
        report = registry_import(
            recall=product.recall,
            rows=[
                {"model": product.model, "first_serial": serial(first), "last_serial": serial(last)}
            ],
        )
        assert report.entries_added == 1, report
        inside = data.draw(st.integers(min_value=first, max_value=last), label="inside")
        typed = data.draw(
            any_case(serial(inside)).flatmap(lambda t: spread(t, st.sampled_from(SEPARATORS)))
        )
        # when / then: inside, however typed
        check = serial_lookup(recall=product.recall, raw_serial=typed)
        assert check.verdict == SerialVerdict.RECALLED
        assert check.product == product
        # ... and just outside, on either side, where the width allows a number there
        for outside in (first - 1, last + 1):
            if 0 <= outside < 10**digits:
                check = serial_lookup(recall=product.recall, raw_serial=serial(outside))
                assert check.verdict == SerialVerdict.NOT_RECALLED
                assert check.product is None
