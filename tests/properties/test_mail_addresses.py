"""The SMTP backend's quick reading of an address agrees with Django's parse, or leaves it to it."""

import pytest
from django.core.mail import mailers
from django.test import override_settings
from hypothesis import example, given
from hypothesis import strategies as st

ATEXT = "abcxyzABCXYZ0189!#$%&'*+/=?^_`{|}~-"
# Pieces of addresses, plain and not: every kind of character Django's parse must judge.
PIECES = [*ATEXT, ".", "@", " ", '"', "<", ">", "(", ")", ",", ";", ":", "\\", "[", "]",
          "\r", "\n", "\t", "\x00", "é", "ü", "例", "\u200b", "ı"]  # fmt: skip
# Django's SMTP backend and ours, as the settings' MAILERS make them (never opened here).
OPTIONS = {"host": "127.0.0.1", "port": 25, "timeout": 1}
BOTH = override_settings(
    MAILERS={
        "django": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": OPTIONS},
        "ours": {"BACKEND": "recallcases.notifications.smtp.EmailBackend", "OPTIONS": OPTIONS},
    }
)


@BOTH
def django_reading(address: str) -> str | Exception:
    try:
        return mailers["django"].prep_address(address)
    except Exception as error:  # ValueError, or the email package's AttributeError ("0@[")
        return error


@BOTH
def our_reading(address: str, backend=None) -> str | Exception:
    try:
        return (backend or mailers["ours"]).prep_address(address)
    except Exception as error:  # ValueError, or the email package's AttributeError ("0@[")
        return error


def same(ours, django) -> bool:
    if isinstance(django, Exception):
        return type(ours) is type(django)
    return ours == django


@given(st.text(alphabet=st.sampled_from(PIECES), max_size=40))
@example("jane.doe@example.com")
@example("jane..doe@example.com")
@example(".jane@example.com")
@example("jane.@example.com")
@example("jane@example..com")
@example("jane@-example.com")
@example("jane@example.com\r\nBcc: victim@example.org")
@example("Jane <jane@example.com>")
@example("jane@exämple.com")
@example("jane@localhost")
@example("@example.com")
@example("jane@")
def test_an_address_reads_as_django_reads_it(address):
    assert same(our_reading(address), django_reading(address)), address


@given(
    st.lists(st.text(alphabet=ATEXT, min_size=1, max_size=8), min_size=1, max_size=3),
    st.lists(st.text(alphabet="abz09-", min_size=1, max_size=8), min_size=1, max_size=3),
)
def test_a_plain_address_is_its_own_addr_spec(local_atoms, domain_atoms):
    address = ".".join(local_atoms) + "@" + ".".join(domain_atoms)
    assert our_reading(address) == django_reading(address) == address


@pytest.mark.parametrize(
    "address",
    ["Recall program <recalls@example.com>", "jane@exämple.com", "a\r\nb@example.com"],
)
def test_an_address_that_is_not_plain_goes_through_djangos_parse_every_time(address):
    # one backend reads it twice (a sender's second reading is kept from its first)
    with BOTH:
        backend = mailers["ours"]
    first, second = our_reading(address, backend), our_reading(address, backend)
    assert same(first, django_reading(address)) and same(second, first)
