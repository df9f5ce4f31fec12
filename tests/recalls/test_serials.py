import pytest

from recallcases.recalls.serials import normalise_serial, split_serial


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("A3102DMX10000042", "A3102DMX10000042"),
        ("a3102dmx10000042", "A3102DMX10000042"),
        ("  A310 2DMX 1000 0042 ", "A3102DMX10000042"),
        ("A310-2DMX-1000-0042", "A3102DMX10000042"),
        ("A310–2DMX—1000.0042", "A3102DMX10000042"),
        ("A3102\u00a0DMX1\t0000042", "A3102DMX10000042"),
    ],
)
def test_normalise_serial_ignores_case_spaces_and_dashes(typed, expected):
    assert normalise_serial(typed).value == expected


def test_normalise_serial_reads_o_and_i_as_digits_and_says_so():
    serial = normalise_serial("A31O2DMXI0000042", excluded_letters="OI")
    assert serial.value == "A3102DMX10000042"
    assert serial.letters_read_as_digits == (("O", "0"), ("I", "1"))


def test_normalise_serial_keeps_letters_the_format_uses():
    # L and Z look like 1 and 2 but are valid characters: never changed.
    serial = normalise_serial("ACCJRU1D1640084L", excluded_letters="OI")
    assert serial.value == "ACCJRU1D1640084L"
    assert serial.letters_read_as_digits == ()


def test_normalise_serial_leaves_o_when_format_allows_it():
    assert normalise_serial("OAK", excluded_letters="").value == "OAK"


@pytest.mark.parametrize("typed", ["", "   ", "A3102#MX10000042", "A3102DMX1000004é"])
def test_normalise_serial_flags_malformed(typed):
    assert not normalise_serial(typed).is_well_formed


@pytest.mark.parametrize(
    ("serial", "prefix", "digits", "number"),
    [
        ("ACCJRU1D16400841", "ACCJRU1D", 8, 16400841),
        ("A3102DMX00000001", "A3102DMX", 8, 1),
        ("ABCDEFGHJKLMNPQR", "ABCDEFGHJKLMNPQR", 0, 0),
        ("1234567890123456", "", 16, 1234567890123456),
    ],
)
def test_split_serial_at_trailing_digits(serial, prefix, digits, number):
    split = split_serial(serial)
    assert (split.prefix, split.digits, split.number) == (prefix, digits, number)
