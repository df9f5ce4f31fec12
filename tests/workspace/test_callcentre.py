"""Call-centre agents: filing a claim for a caller, finding one, reading it out, logging the call.

Agents see contact details only of the claim they opened, never photos; every look-up and every
claim opened is audited, without what was looked up.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.claims.models import CallLog, CallOutcome, CallReason, Channel, Claim, ClaimStatus
from recallcases.claims.services.calls import call_log_record, claim_submit_by_phone
from recallcases.claims.tokens import reference_spelled
from recallcases.notifications.models import OutboundEmail
from recallcases.reports.selectors import cpsc
from recallcases.reports.selectors.periods import current_month
from recallcases.workspace.roles import CALL_CENTRE_AGENT
from tests.factories import ClaimFactory, add_photo, consumer_details
from tests.images import photo_upload
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(roles):
    return member_of(CALL_CENTRE_AGENT, username="agent-sam")


@pytest.fixture
def as_agent(client, agent):
    client.force_login(agent)
    return client


def phone_form(speaker, **overrides):
    data = {
        "serial": "A3102DMX10000077",
        "product": speaker.pk,
        "name": "Dominique Gagnon",
        "email": "dominique@example.ca",
        "phone": "514 555-0142",
        "address_line1": "1000 rue Sherbrooke Ouest",
        "address_line2": "",
        "city": "Montréal",
        "country": "CA",
        "region": "QC",
        "postal_code": "h3a3g4",
        "language": "fr-ca",
        "caller_consents": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def new_claim_url(recall) -> str:
    return reverse("workspace:calls_claim_new", args=[recall.slug])


def test_an_agent_files_a_claim_for_a_caller_that_waits_for_the_photos(
    as_agent, agent, speaker, django_capture_on_commit_callbacks
):
    # when: the agent types the caller's details as they are read out
    with django_capture_on_commit_callbacks(execute=True):
        response = as_agent.post(new_claim_url(speaker.recall), phone_form(speaker))
    # then: the claim is filed by phone, in the agent's name, without a photo
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workspace/calls/claims/{claim.reference}/?filed=1"
    assert claim.channel == Channel.PHONE
    assert claim.postal_code == "H3A 3G4"  # the web form's normalising
    assert claim.photos.count() == 0
    first, second = claim.events.order_by("pk")
    assert (first.to_status, first.actor, first.actor_kind) == (
        ClaimStatus.SUBMITTED,
        agent,
        "staff",
    )
    # and: it waits for the consumer's photos, with a note in the consumer's language
    assert claim.status == ClaimStatus.INFORMATION_REQUESTED
    assert "téléphone" in second.note
    # and: the page reads the reference back, spelled
    page = as_agent.get(response["Location"]).content.decode()
    assert claim.reference in page and reference_spelled(claim.reference) in page
    assert "Filed by phone by agent-sam" in page
    # and: the consumer is emailed the receipt and the link to add the photos
    kinds = sorted(OutboundEmail.objects.filter(claim=claim).values_list("kind", flat=True))
    assert kinds == ["information_requested", "received"]
    assert {message.to[0] for message in mail.outbox} == {"dominique@example.ca"}
    # and: the call and the filing are on record
    assert CallLog.objects.get().outcome == CallOutcome.CLAIM_FILED
    assert AuditEntry.objects.filter(action=AuditAction.CLAIM_BY_PHONE, actor=agent).count() == 1


def test_the_consumer_adds_the_photo_from_the_emailed_link(
    as_agent, client, speaker, django_capture_on_commit_callbacks
):
    # given: a claim an agent filed
    with django_capture_on_commit_callbacks(execute=True):
        as_agent.post(new_claim_url(speaker.recall), phone_form(speaker))
    as_agent.logout()
    claim = Claim.objects.get()
    asking = next(
        m for m in mail.outbox if "information" in m.subject or "renseignements" in m.subject
    )
    link = next(word for word in asking.body.split() if "/status/" in word)
    # when: the consumer opens the link and sends the photo the claim waits for
    path = link.removeprefix("http://127.0.0.1:8000")
    assert 'name="photo"' in client.get(path).content.decode()
    response = client.post(
        path, {"action": "upload", "photo": photo_upload(), "note": "", "version": claim.version}
    )
    # then: the claim goes to the reviewers with its photo
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESUBMITTED
    assert claim.photos.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "Dominique\nGagnon"}, "name"),
        ({"address_line1": "1 rue\r\nReply-To: x@example.com"}, "address_line1"),
        ({"postal_code": "98101"}, "postal_code"),
        ({"region": "WA"}, "region"),
        ({"phone": "555-01"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"caller_consents": None}, "caller_consents"),
        ({"serial": "A3102DMX99999999"}, "serial"),  # not in the registry
        ({"serial": "A3102DMX1000007"}, "serial"),  # one character short
    ],
)
def test_the_agents_form_checks_what_the_web_form_checks(as_agent, speaker, overrides, field):
    response = as_agent.post(new_claim_url(speaker.recall), phone_form(speaker, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Claim.objects.exists()


def test_a_serial_with_an_open_claim_is_refused_for_the_caller_too(as_agent, speaker):
    as_agent.post(new_claim_url(speaker.recall), phone_form(speaker))
    response = as_agent.post(
        new_claim_url(speaker.recall), phone_form(speaker, email="b@example.ca")
    )
    assert "serial" in response.context["form"].errors
    assert Claim.objects.count() == 1


def test_a_look_up_lists_references_only_and_is_audited_without_what_was_looked_up(
    as_agent, agent, speaker
):
    # given: two claims of one consumer, one of another
    mine = [ClaimFactory(product=speaker, email="lou@example.ca", phone="(514) 555-0101")]
    mine.append(ClaimFactory(product=speaker, email="lou@example.ca", phone="514.555.0101"))
    other = ClaimFactory(product=speaker, email="other@example.ca", name="Pat Other")
    for by, value in [("email", "LOU@example.ca"), ("phone", "+1 514 555 0101")]:
        # when: the agent looks them up
        response = as_agent.post(reverse("workspace:calls_look_up"), {"by": by, "value": value})
        page = response.content.decode()
        # then: the caller's claims are listed, by reference and status, nothing of their details
        assert all(claim.reference in page for claim in mine), by
        assert other.reference not in page
        assert "lou@example.ca" not in page.lower().replace('value="lou@example.ca"', "")
        assert mine[0].name not in page and mine[0].address_line1 not in page
    # and: by reference, as read over the phone (lower case, no dash)
    read_out = other.reference.replace("-", "").lower()
    page = as_agent.post(
        reverse("workspace:calls_look_up"), {"by": "reference", "value": read_out}
    ).content.decode()
    assert other.reference in page and "Pat Other" not in page
    # and: each look-up is audited with what it found, never with what was typed
    entries = AuditEntry.objects.filter(action=AuditAction.CALL_SEARCH, actor=agent)
    assert entries.count() == 3
    assert sorted(entries.first().after["found"]) == sorted(c.reference for c in mine)
    assert not AuditEntry.objects.filter(after__icontains="lou@").exists()
    assert not any("555" in str(entry.after) for entry in entries)


def test_a_look_up_by_a_partial_phone_finds_nothing(as_agent, speaker):
    ClaimFactory(product=speaker, phone="514-555-0101")
    page = as_agent.post(
        reverse("workspace:calls_look_up"), {"by": "phone", "value": "0101"}
    ).content.decode()
    assert 'id="found-none"' in page


def test_the_opened_claim_shows_its_contacts_and_status_in_plain_words_audited(
    as_agent, agent, speaker
):
    # given: a claim with a photo
    claim = ClaimFactory(product=speaker, name="Dominique Gagnon", status=ClaimStatus.SUBMITTED)
    photo = add_photo(claim)
    # when: the agent opens it
    page = as_agent.get(reverse("workspace:calls_claim", args=[claim.reference])).content.decode()
    # then: its contact details and what happens next, and no photo
    assert "Dominique Gagnon" in page and claim.email in page
    assert "We are checking your claim" in page
    assert str(photo.pk) not in page and "/photos/" not in page
    assert as_agent.get(f"/photos/{photo.pk}/image/").status_code == 404
    # and: the opening is audited, on the claim
    entry = AuditEntry.objects.get(action=AuditAction.CALL_CLAIM_OPEN)
    assert (entry.actor, entry.claim_id) == (agent, claim.pk)


def test_an_unknown_reference_is_not_found(as_agent):
    assert as_agent.get(reverse("workspace:calls_claim", args=["XXXX-XXXX"])).status_code == 404


def test_an_agent_logs_the_call_in_the_claims_timeline(as_agent, agent, speaker, manager, client):
    claim = ClaimFactory(product=speaker)
    url = reverse("workspace:calls_claim", args=[claim.reference])
    # when
    response = as_agent.post(url, {"reason": CallReason.STATUS, "outcome": CallOutcome.ANSWERED})
    # then: on the agent's page and on the staff claim page's timeline
    assert response.status_code == 302
    assert "Where is my claim? – Answered" in as_agent.get(url).content.decode()
    call = CallLog.objects.get()
    assert (call.claim, call.agent, call.recall) == (claim, agent, speaker.recall)
    client.force_login(manager)
    staff_page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "Phone call logged" in staff_page


def test_a_call_log_refuses_a_made_up_reason(as_agent, speaker):
    claim = ClaimFactory(product=speaker)
    url = reverse("workspace:calls_claim", args=[claim.reference])
    response = as_agent.post(url, {"reason": "<script>", "outcome": CallOutcome.ANSWERED})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert not CallLog.objects.exists()


def test_an_is_my_unit_affected_call(as_agent, speaker):
    recall = speaker.recall
    # when: the agent checks the serial the caller reads out, then logs the call
    page = as_agent.post(
        reverse("workspace:calls_serial_check"), {"recall": recall.pk, "serial": "a3102dmx10000042"}
    ).content.decode()
    assert "part of the recall" in page
    page = as_agent.post(
        reverse("workspace:calls_serial_check"), {"recall": recall.pk, "serial": "A3102DMX99999999"}
    ).content.decode()
    assert "not part of the recall" in page
    response = as_agent.post(
        reverse("workspace:calls_log"),
        {"recall": recall.pk, "reason": CallReason.AFFECTED, "outcome": CallOutcome.NOT_AFFECTED},
    )
    # then: a call about no claim
    assert response.status_code == 302
    assert CallLog.objects.get().claim is None


def test_the_cpsc_report_counts_phone_contacts_by_month(agent, speaker):
    # given: two calls this month (one filed a claim) and one about no claim
    recall = speaker.recall
    claim_submit_by_phone(
        recall=recall,
        product=speaker,
        serial_as_typed="A3102DMX10000090",
        details=consumer_details(),
        agent=agent,
    )
    call_log_record(
        agent=agent, recall=recall, reason=CallReason.AFFECTED, outcome=CallOutcome.NOT_AFFECTED
    )
    month = current_month()
    # when
    report = cpsc.cpsc_report(recall=recall, month=month)
    # then: the phone contacts, and the claim by phone not among those filed on the web
    figures = {
        (section.key, figure.key): figure.values
        for section in report.sections
        for figure in section.figures
    }
    assert figures["contacted", "phone"] == (2, 2)
    assert figures["contacted", "web_claims"] == (0, 0)


def test_an_agent_signs_in_to_the_calls_page(client, agent):
    response = client.post(
        "/workspace/login/", {"username": agent.username, "password": "a-long-test-password"}
    )
    assert response["Location"] == "/workspace/calls/"
    assert client.get("/workspace/calls/").status_code == 200


def test_the_spelled_reference_reads_every_letter():
    assert reference_spelled("K7MQ-4TXA") == "Kilo 7 Mike Quebec – 4 Tango X-ray Alpha"
    assert re.fullmatch(r"[A-Za-z0-9 –-]+", reference_spelled("ACDE-FGHJ"))


def test_a_look_up_costs_the_same_queries_for_one_claim_or_many(as_agent, speaker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(email: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            as_agent.post(reverse("workspace:calls_look_up"), {"by": "email", "value": email})
        return len(captured)

    ClaimFactory(product=speaker, email="one@example.ca")
    for _ in range(6):
        ClaimFactory(product=speaker, email="many@example.ca")
    assert queries_for("one@example.ca") == queries_for("many@example.ca")


def test_the_staff_timeline_shows_the_claim_came_by_phone_and_who_took_it(
    agent, speaker, manager, client
):
    claim = claim_submit_by_phone(
        recall=speaker.recall,
        product=speaker,
        serial_as_typed="A3102DMX10000091",
        details=consumer_details(),
        agent=agent,
    ).claim
    client.force_login(manager)
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "Claim filed by phone" in timeline and "agent-sam" in timeline
