"""Reporting an incident: the public form (from the recall's page and a claim's status page), the
urgent alert to the safety contact, before/after the announcement, Health Canada's clocks."""

import datetime
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from recallcases.incidents.models import Incident, Timing
from recallcases.incidents.services import IncidentDetails, incident_report, incident_timing
from recallcases.notifications.emails import compose
from recallcases.notifications.models import EmailKind, OutboundEmail
from recallcases.notifications.services import Outcome, deliver
from tests.factories import RecallFactory, claim_with_link
from tests.images import photo_upload

pytestmark = pytest.mark.django_db

SLUG = "anker-speakers-2024"
REPORT = f"/en/{SLUG}/incident/"
REPORT_FR = f"/fr-ca/{SLUG}/incident/"
SAFETY_CONTACT = "product-safety@example.com"


def report_data(**overrides):
    data = {
        "kinds": ["overheating"],
        "occurred_on": "2025-01-20",
        "timing": "unknown",
        "description": "It got very hot while charging on my desk.",
        "contact_name": "Camille Roy",
        "contact_email": "camille.roy@example.ca",
        "contact_phone": "514-555-0199",
        "country": "CA",
        "region": "QC",
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def details(**overrides) -> IncidentDetails:
    fields = {
        "kinds": frozenset({"overheating"}),
        "description": "Hot.",
        "contact_name": "Camille Roy",
        "contact_email": "camille.roy@example.ca",
        "contact_phone": "514-555-0199",
        "country": "CA",
    }
    fields.update(overrides)
    return IncidentDetails(**fields)


# --- The public form -----------------------------------------------------------------------------


def test_report_form_in_english_files_an_incident(client, recall):
    # given: the form, which says to call 911 first
    page = client.get(REPORT).content.decode()
    assert "call 911 now" in page
    assert 'name="kinds" value="fire"' in page
    # when: a consumer reports an overheating speaker
    response = client.post(REPORT, report_data())
    # then: the incident is kept and the thank-you page gives its reference
    assert response.status_code == 302
    assert response["Location"] == f"/en/{SLUG}/incident/received/"
    incident = Incident.objects.get()
    assert (incident.recall, incident.claim, incident.overheating) == (recall, None, True)
    assert incident.occurred_on == datetime.date(2025, 1, 20)
    assert incident.timing == Timing.AFTER
    assert (incident.contact_email, incident.region, incident.language) == (
        "camille.roy@example.ca",
        "QC",
        "en",
    )
    thanks = client.get(response["Location"]).content.decode()
    assert incident.reference in thanks


def test_report_form_in_french_files_an_incident_in_french(client, recall):
    # given: the French form
    response = client.get(REPORT_FR)
    assert response.status_code == 200
    assert 'lang="fr-ca"' in response.content.decode()
    # when: it is sent
    response = client.post(REPORT_FR, report_data())
    # then: the incident remembers the language and the thank-you page is the French one
    assert response["Location"] == f"/fr-ca/{SLUG}/incident/received/"
    assert Incident.objects.get().language == "fr-ca"
    assert client.get(response["Location"]).status_code == 200


def test_report_needs_to_say_what_happened(client, recall):
    response = client.post(REPORT, report_data(kinds=None))
    assert response.status_code == 200
    assert "Tick at least one" in response.content.decode()
    assert not Incident.objects.exists()


def test_report_refuses_a_date_in_the_future(client, recall):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(REPORT, report_data(occurred_on=tomorrow.isoformat()))
    assert "cannot be in the future" in response.content.decode()
    assert not Incident.objects.exists()


def test_thank_you_page_without_a_report_goes_back_to_the_form(client, recall):
    response = client.get(f"/en/{SLUG}/incident/received/")
    assert response.status_code == 302
    assert response["Location"] == REPORT


def test_report_form_is_rate_limited(client, recall, settings):
    # given: a limit of two reports an hour from one address
    settings.CLAIM_SUBMIT_RATE = "2/h"
    for _ in range(2):
        assert client.post(REPORT, report_data()).status_code == 302
    # when: a third comes
    response = client.post(REPORT, report_data())
    # then: it is refused, and nothing more is kept
    assert response.status_code == 429
    assert Incident.objects.count() == 2


# --- Urgent: fire or injury ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fire", "injury"])
def test_fire_or_injury_is_urgent_and_emails_the_safety_contact(
    client, recall, kind, django_capture_on_commit_callbacks
):
    # when: a consumer reports a fire (or an injury)
    with django_capture_on_commit_callbacks() as after_commit:
        response = client.post(
            REPORT,
            report_data(
                kinds=["smoke", kind],
                description="Flames came out of the speaker on the couch.",
            ),
        )
    # then: the incident is urgent and one alert is written to the recall's safety contact
    incident = Incident.objects.get()
    assert incident.urgent
    email = OutboundEmail.objects.get()
    assert (email.kind, email.recipient, email.context, email.claim) == (
        EmailKind.INCIDENT_ALERT,
        SAFETY_CONTACT,
        {"incident": incident.pk},
        None,
    )
    assert email.dedupe_key == f"incident-alert:{incident.pk}"
    # and: it is handed to a worker once the report is committed, which sends it at once
    # (the hop through Celery itself is the outbox's tests' business: tests/notifications)
    assert len(after_commit) == 1
    assert deliver(email_id=email.pk) == (Outcome.SENT, 0)
    assert [m.to for m in mail.outbox] == [[SAFETY_CONTACT]]
    # and: the thank-you page says to call 911
    thanks = client.get(response["Location"]).content.decode()
    assert "call 911" in thanks


def test_the_alert_says_what_happened_but_not_who_reported_it(recall):
    # given: an urgent incident
    incident = incident_report(
        recall=recall,
        details=details(
            kinds=frozenset({"fire", "property_damage"}),
            description="My couch burned near 12 Rue Saint-Denis.",
            occurred_on=datetime.date(2025, 2, 1),
        ),
    )
    email = OutboundEmail.objects.get(kind=EmailKind.INCIDENT_ALERT)
    # when: its message is rendered, as the outbox does when it sends it
    message = compose(email)
    body = message.body
    # then: it names the incident, what happened, when, the deadlines and the staff page
    assert message.to == [SAFETY_CONTACT]
    assert incident.reference in message.subject and "fire" in message.subject
    assert incident.reference in body
    assert "Fire, Property damage" in body
    assert "2025-02-01" in body and "After the recall was announced" in body
    assert recall.title_en in body
    assert f"/workspace/incidents/{incident.reference}/" in body
    assert (incident.learned_at + timedelta(days=2)).strftime("%Y-%m-%d %H:%M") in body
    assert (incident.learned_at + timedelta(days=10)).strftime("%Y-%m-%d %H:%M") in body
    # and: nothing of the consumer: no name, email, phone or their own words
    for private in ("Camille", "camille.roy@example.ca", "514-555-0199", "Saint-Denis", "couch"):
        assert private not in body and private not in message.subject
    assert message.extra_headers["Message-ID"] == email.message_id


def test_overheating_only_is_not_urgent_and_emails_nobody(client, recall):
    response = client.post(REPORT, report_data(kinds=["overheating", "smoke"]))
    assert not Incident.objects.get().urgent
    assert not OutboundEmail.objects.exists()
    thanks = client.get(response["Location"]).content.decode()
    assert "call 911" not in thanks


def test_urgent_incident_without_a_safety_contact_is_kept_without_an_email(db):
    recall = RecallFactory(safety_contact_email="")
    incident = incident_report(recall=recall, details=details(kinds=frozenset({"injury"})))
    assert incident.urgent
    assert not OutboundEmail.objects.exists()


# --- Before or after the announcement (5 December 2024) ------------------------------------------


@pytest.mark.parametrize(
    ("occurred_on", "as_told", "expected"),
    [
        (datetime.date(2024, 11, 30), Timing.AFTER, Timing.BEFORE),  # the date wins
        (datetime.date(2024, 12, 4), Timing.UNKNOWN, Timing.BEFORE),
        (datetime.date(2024, 12, 5), Timing.UNKNOWN, Timing.AFTER),  # the day itself: public
        (datetime.date(2025, 3, 1), Timing.BEFORE, Timing.AFTER),
        (None, Timing.BEFORE, Timing.BEFORE),  # no date: as told
        (None, Timing.AFTER, Timing.AFTER),
        (None, Timing.UNKNOWN, Timing.UNKNOWN),
        (None, "nonsense", Timing.UNKNOWN),
    ],
)
def test_before_or_after_the_announcement(recall, occurred_on, as_told, expected):
    assert incident_timing(recall=recall, occurred_on=occurred_on, as_told=as_told) == expected


def test_the_form_takes_the_consumers_answer_when_there_is_no_date(client, recall):
    client.post(REPORT, report_data(occurred_on="", timing="before"))
    incident = Incident.objects.get()
    assert (incident.occurred_on, incident.timing) == (None, Timing.BEFORE)


# --- Health Canada's clocks ----------------------------------------------------------------------


def test_health_canada_clocks_run_2_and_10_days_from_when_we_learned(recall):
    # given: the recall was sold in Canada
    assert "CA" in recall.countries
    # when: an incident is reported
    before = timezone.now()
    incident = incident_report(recall=recall, details=details())
    # then: the company learned of it now; it must tell Health Canada within 2 days and file a
    # written report within 10
    assert before <= incident.learned_at <= timezone.now()
    notice, report = incident.health_canada_clocks
    assert notice.due_at == incident.learned_at + timedelta(days=2)
    assert report.due_at == incident.learned_at + timedelta(days=10)
    assert not notice.is_overdue and not report.is_overdue and not incident.is_overdue


def test_a_clock_is_overdue_once_its_deadline_passes_and_done_once_recorded(recall):
    # given: an incident the company learned of three days ago
    incident = incident_report(recall=recall, details=details())
    learned = timezone.now() - timedelta(days=3)
    Incident.objects.filter(pk=incident.pk).update(
        learned_at=learned,
        regulator_notice_due_at=learned + timedelta(days=2),
        written_report_due_at=learned + timedelta(days=10),
    )
    incident.refresh_from_db()
    # then: telling Health Canada is overdue; the written report is not yet
    notice, report = incident.health_canada_clocks
    assert notice.is_overdue and not report.is_overdue
    assert list(Incident.objects.overdue()) == [incident]
    # when: the notice is recorded, late
    Incident.objects.filter(pk=incident.pk).update(regulator_notified_at=timezone.now())
    incident.refresh_from_db()
    notice, _report = incident.health_canada_clocks
    # then: it is done (and marked late), and nothing is overdue
    assert notice.is_done and notice.was_late and not notice.is_overdue
    assert not Incident.objects.overdue().exists()


def test_no_health_canada_clocks_when_the_recall_was_not_sold_in_canada(db):
    recall = RecallFactory(countries=["US"], safety_contact_email=SAFETY_CONTACT)
    incident = incident_report(recall=recall, details=details(kinds=frozenset({"fire"})))
    assert incident.health_canada_clocks == []
    assert (incident.regulator_notice_due_at, incident.written_report_due_at) == (None, None)
    Incident.objects.filter(pk=incident.pk).update(learned_at=timezone.now() - timedelta(days=30))
    assert not Incident.objects.overdue().exists()
    # and: the alert says nothing of Health Canada
    assert "Health Canada" not in compose(OutboundEmail.objects.get()).body


# --- From a claim's status page ------------------------------------------------------------------


def test_report_from_a_status_page_is_linked_to_the_claim(client, speaker):
    # given: a consumer with a claim, who opens its status page
    claim, token = claim_with_link(
        product=speaker, name="Noa Levesque", email="noa@example.ca", phone="418-555-0111"
    )
    status = client.get(f"/en/status/{token}/").content.decode()
    assert f"/en/status/{token}/incident/" in status
    # when: they open the incident form from there
    page = client.get(f"/en/status/{token}/incident/").content.decode()
    # then: it knows the claim, without printing its contact details (the link is a bearer secret)
    assert claim.reference in page
    assert "noa@example.ca" not in page and "418-555-0111" not in page
    # when: they report, leaving name, email and phone empty
    response = client.post(
        f"/en/status/{token}/incident/",
        report_data(contact_name="", contact_email="", contact_phone="", kinds=["smoke"]),
    )
    # then: the incident is linked to the claim and reaches the consumer by the claim's details
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.claim == claim
    assert incident.recall == claim.recall
    assert (incident.contact_name, incident.contact_email, incident.contact_phone) == (
        "Noa Levesque",
        "noa@example.ca",
        "418-555-0111",
    )


def test_report_from_a_status_page_keeps_details_the_consumer_typed(client, speaker):
    _claim, token = claim_with_link(product=speaker, email="noa@example.ca")
    client.post(f"/en/status/{token}/incident/", report_data(contact_email="other@example.ca"))
    assert Incident.objects.get().contact_email == "other@example.ca"


def test_report_from_an_unknown_status_link_is_not_found(client, recall):
    assert client.get("/en/status/not-a-real-token-at-all-0000/incident/").status_code == 404


# --- The photo -----------------------------------------------------------------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_photo_is_stored_re_encoded_under_a_random_name(client, recall):
    # when: a report comes with a PNG photo
    upload = photo_upload("IMG_my_house.png", png_bytes(), "image/png")
    client.post(REPORT, report_data(photo=upload))
    # then: it is kept as a JPEG without metadata, under a name that says nothing of it
    incident = Incident.objects.get()
    assert incident.photo.name.startswith("incidents/") and incident.photo.name.endswith(".jpg")
    assert "my_house" not in incident.photo.name
    with default_storage.open(incident.photo.name) as stored:
        image = Image.open(stored)
        assert image.format == "JPEG"
        assert not image.getexif()


def test_a_report_that_fails_leaves_no_photo_behind(recall, monkeypatch):
    # given: the alert cannot be written (the database refuses it, say)
    from recallcases.core.photo_pipeline import process_photo
    from recallcases.incidents import services

    def refuse(incident):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_alert_write", refuse)
    written = []
    real_write = services._PhotoFile.write

    def spy(self, photo):
        written.append(real_write(self, photo))
        return written[-1]

    monkeypatch.setattr(services._PhotoFile, "write", spy)
    # when: an urgent report with a photo fails
    with pytest.raises(RuntimeError):
        incident_report(
            recall=recall,
            details=details(kinds=frozenset({"fire"})),
            photo=process_photo(png_bytes()),
        )
    # then: neither the incident nor its photo file is kept
    assert not Incident.objects.exists()
    assert written and not default_storage.exists(written[0])
