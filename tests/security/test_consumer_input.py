"""What consumers type: one line where one line is meant, digits 0 to 9 in numbers, and never the
opening words of an email we send."""

import pytest
from django import forms
from django.core import mail

from recallcases.claims.models import Claim
from recallcases.claims.models import ClaimStatus as S
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.core.addresses import AddressError, normalise_postal_code
from recallcases.core.forms import PhoneField, validate_single_line
from recallcases.notifications.models import OutboundEmail
from recallcases.notifications.services import deliver
from tests.consumer.test_pages import RECALL, claim_form_data, file_claim
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

PHISHING_NAME = (
    "Jordan\r\n\r\nYour replacement is held at customs. Pay the $4.99 fee within 24 hours at "
    "https://recall-fees.example/pay or your claim is cancelled.\r\n\r\nRecall support"
)
ONE_LINE = "Write this on one line, without line breaks or special characters such as tabs."


def test_name_with_line_breaks_and_a_payment_link_refused_with_a_clear_message(client, speaker):
    # when: the name carries a message of its own
    response = file_claim(client, speaker, name=PHISHING_NAME)
    # then: refused beside the name, and no claim, so no email
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [ONE_LINE]
    assert ONE_LINE in response.content.decode()
    assert not Claim.objects.exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    "field", ["address_line1", "address_line2", "city", "postal_code", "order_number", "serial"]
)
def test_claim_form_single_line_fields_refuse_line_breaks(client, speaker, field):
    response = file_claim(client, speaker, **{field: "12 Main\nSt"})
    assert ONE_LINE in response.context["form"].errors[field]
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "text",
    ["Jo\rrdan", "Jo\u2028rdan", "Jo\tDan", "Jo\x1b[2Jrdan", "Jordan\u202egnp.exe", "a\x85b"],
)
def test_single_line_validator_refuses_control_characters(text):
    with pytest.raises(forms.ValidationError):
        validate_single_line(text)


@pytest.mark.parametrize("text", ["Jordan Smith", "Zoë O'Brien-Lévesque", "José Núñez", "李小龍"])
def test_single_line_validator_takes_names(text):
    validate_single_line(text)


def test_incident_contact_name_refuses_line_breaks(client, recall):
    response = client.post(
        f"{RECALL}incident/",
        {
            "kinds": ["overheating"],
            "description": "It got hot.\nVery hot.",
            "contact_name": PHISHING_NAME,
            "contact_email": "jordan@example.com",
            "country": "US",
            "consent": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["contact_name"] == [ONE_LINE]
    # the description stays free text, line breaks and all
    assert "description" not in response.context["form"].errors


def test_claim_email_opens_with_our_words_not_the_typed_name(speaker):
    # given: a claim whose name (on one line) still carries a link
    claim = ClaimFactory(
        product=speaker, name="Jordan, pay the fee at https://recall-fees.example/pay"
    )
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    # when
    deliver(email_id=OutboundEmail.objects.get(claim=claim).pk)
    # then: the message greets without the name, and carries nothing of it
    message = mail.outbox[0]
    assert message.body.splitlines()[0] == "Hello,"
    html = message.alternatives[0].content
    for part in (message.subject, message.body, html):
        assert "recall-fees.example" not in part
        assert "Jordan" not in part


@pytest.mark.parametrize(
    ("country", "raw"),
    [
        ("US", "٩٨١٠١"),  # Arabic-Indic digits
        ("US", "९८१०१"),  # Devanagari digits
        ("US", "９８１０１"),  # fullwidth digits
        ("CA", "K1A ٠B1"),
    ],
)
def test_postal_codes_refuse_digits_other_than_0_to_9(country, raw):
    with pytest.raises(AddressError):
        normalise_postal_code(country=country, raw=raw)


@pytest.mark.parametrize("phone", ["(٢٠٦) ٥٥٥-٠١٤٣", "+1 206 555 ٠١٤٣", "２０６５５５０１４３"])
def test_phones_refuse_digits_other_than_0_to_9(phone):
    with pytest.raises(forms.ValidationError, match="digits 0 to 9"):
        PhoneField().clean(phone)


def test_claim_with_arabic_indic_zip_and_phone_refused(client, speaker):
    response = file_claim(client, speaker, postal_code="٩٨١٠١", phone="(٢٠٦) ٥٥٥-٠١٤٣")
    errors = response.context["form"].errors
    assert "postal_code" in errors and "phone" in errors
    assert not Claim.objects.exists()
    # and the same claim with 0 to 9 is taken
    assert client.post(f"{RECALL}claim/", claim_form_data(product=speaker.pk)).status_code == 302
