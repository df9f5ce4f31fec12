"""Incidents in the workspace: the list, its filters and export, one incident, its photo, and the
steps staff record; who may see and do what."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recallcases.core.photo_pipeline import process_photo
from recallcases.incidents.models import Incident
from recallcases.incidents.services import (
    IncidentDetails,
    IncidentRefused,
    incident_acknowledge,
    incident_record_regulator_notice,
    incident_report,
)
from tests.factories import RecallFactory, claim_with_link
from tests.images import jpeg_bytes

pytestmark = pytest.mark.django_db

LIST = "/workspace/incidents/"
EXPORT = "/workspace/incidents/export.csv"


# The role fixtures (manager, reviewer, fulfiller) are tests/conftest.py's; the roles' incident
# rights come from recallcases/workspace/roles.py (ROLES).


def report(recall, *, kinds=("overheating",), photo=False, **fields) -> Incident:
    details = {
        "kinds": frozenset(kinds),
        "description": "It smoked while charging.",
        "contact_name": "Sam Gagné",
        "contact_email": "sam.gagne@example.ca",
        "contact_phone": "819-555-0142",
        "country": "CA",
        "region": "QC",
    }
    details.update(fields)
    return incident_report(
        recall=recall,
        details=IncidentDetails(**details),
        photo=process_photo(jpeg_bytes()) if photo else None,
    )


def make_overdue(incident: Incident, *, days: int = 3) -> None:
    learned = timezone.now() - timedelta(days=days)
    Incident.objects.filter(pk=incident.pk).update(
        learned_at=learned,
        regulator_notice_due_at=learned + timedelta(days=2),
        written_report_due_at=learned + timedelta(days=10),
    )


def references(response) -> set[str]:
    page = response.content.decode()
    return {i.reference for i in Incident.objects.all() if f">{i.reference}</a>" in page}


# --- The list ------------------------------------------------------------------------------------


def test_list_shows_incidents_with_their_clocks(client, manager, recall):
    fire = report(recall, kinds=("fire",))
    make_overdue(fire)
    client.force_login(manager)
    page = client.get(LIST).content.decode()
    assert fire.reference in page
    assert "Urgent" in page
    assert "overdue since" in page
    assert "Not yet" in page  # not acknowledged


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"fire", "smoke", "other_recall", "acknowledged", "overdue"}),
        ("kind=fire", {"fire"}),
        ("kind=smoke", {"smoke", "other_recall", "acknowledged", "overdue"}),
        ("urgent=yes", {"fire"}),
        ("urgent=no", {"smoke", "other_recall", "acknowledged", "overdue"}),
        ("acknowledged=yes", {"acknowledged"}),
        ("acknowledged=no", {"fire", "smoke", "other_recall", "overdue"}),
        ("overdue=on", {"overdue"}),
        ("recall=OTHER", {"other_recall"}),
    ],
)
def test_list_filters(client, manager, recall, query, expected):
    # given: incidents of each sort
    other = RecallFactory(countries=["US"])
    incidents = {
        "fire": report(recall, kinds=("fire",)),
        "smoke": report(recall, kinds=("smoke",)),
        "other_recall": report(other, kinds=("smoke",)),
        "acknowledged": report(recall, kinds=("smoke",)),
        "overdue": report(recall, kinds=("smoke",)),
    }
    incident_acknowledge(incident_id=incidents["acknowledged"].pk, user=manager)
    make_overdue(incidents["overdue"])
    client.force_login(manager)
    # when: the list is filtered
    response = client.get(f"{LIST}?{query.replace('OTHER', str(other.pk))}")
    # then: it shows those, and only those
    assert response.status_code == 200
    assert references(response) == {incidents[name].reference for name in expected}


def test_list_searches_a_reference(client, manager, recall):
    wanted, other = report(recall), report(recall)
    client.force_login(manager)
    response = client.get(f"{LIST}?q={wanted.reference.lower().replace('-', '')}")
    assert references(response) == {wanted.reference}
    assert other.reference not in response.content.decode()


def test_list_queries_do_not_grow_with_the_number_of_incidents(client, manager, recall, speaker):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    # given: two incidents, one acknowledged, one from a claim
    client.force_login(manager)
    claim, _token = claim_with_link(product=speaker)
    incident_acknowledge(incident_id=report(recall).pk, user=manager)
    incident_report(
        recall=recall,
        claim=claim,
        details=IncidentDetails(
            kinds=frozenset({"smoke"}),
            description="x",
            contact_name="x",
            contact_email="x@example.com",
            country="US",
        ),
    )
    few = queries()
    # when: there are many more, of every sort
    for number in range(12):
        incident = report(recall, kinds=("fire",) if number % 2 else ("smoke",))
        if number % 3 == 0:
            incident_acknowledge(incident_id=incident.pk, user=manager)
    # then: the page asks the database as many times
    assert queries() == few


# --- The export ----------------------------------------------------------------------------------


def rows(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def test_export_is_the_filtered_list_with_formulas_made_harmless(client, manager, recall):
    # given: an urgent incident whose consumer typed a formula, and another
    fire = report(
        recall, kinds=("fire", "injury"), description='=HYPERLINK("http://evil.example","x")'
    )
    report(recall, kinds=("smoke",))
    client.force_login(manager)
    # when: a recall manager exports the urgent ones
    response = client.get(f"{EXPORT}?urgent=yes")
    # then: the file has that one incident, with what a regulator asks, and no live formula
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store, private"
    (row,) = rows(response)
    assert row["reference"] == fire.reference
    assert row["what_happened"] == "fire;injury"
    assert row["urgent"] == "yes"
    assert row["regulator_notice_due_at"] and row["written_report_due_at"]
    assert row["description"].startswith("'=HYPERLINK")
    assert row["contact_email"] == "sam.gagne@example.ca"


def test_export_leaves_out_contact_details_for_staff_who_may_not_see_them(client, reviewer, recall):
    report(recall)
    client.force_login(reviewer)
    (row,) = rows(client.get(EXPORT))
    assert "contact_email" not in row and "contact_name" not in row
    assert "sam.gagne" not in "".join(row.values())


# --- One incident, and the steps on it -----------------------------------------------------------


def test_manager_sees_the_incident_and_acknowledges_it(client, manager, recall):
    incident = report(recall, kinds=("fire",))
    client.force_login(manager)
    page = client.get(f"{LIST}{incident.reference}/").content.decode()
    assert "sam.gagne@example.ca" in page and "It smoked while charging." in page
    assert 'id="acknowledge"' in page
    # when: they acknowledge it
    response = client.post(f"{LIST}{incident.reference}/acknowledge/")
    # then: it records who and when, and the page says so
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.acknowledged_by == manager and incident.acknowledged_at is not None
    page = client.get(f"{LIST}{incident.reference}/").content.decode()
    assert f"By {manager.username}" in page
    # and: a second acknowledgement changes nothing
    acknowledged_at = incident.acknowledged_at
    client.post(f"{LIST}{incident.reference}/acknowledge/")
    incident.refresh_from_db()
    assert incident.acknowledged_at == acknowledged_at


def test_manager_records_the_regulator_notice_and_the_written_report(client, manager, recall):
    # given: an incident whose notice to Health Canada is overdue
    incident = report(recall, kinds=("injury",))
    make_overdue(incident)
    client.force_login(manager)
    # when: they record that Health Canada was told an hour ago, then the written report now
    told_at = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    client.post(
        f"{LIST}{incident.reference}/regulator-notice/",
        {"at": told_at.strftime("%Y-%m-%dT%H:%M"), "note": "By phone, file HC-123"},
    )
    client.post(f"{LIST}{incident.reference}/written-report/", {"at": "", "note": ""})
    # then: both are recorded with who did it, the clocks are done, and nothing is overdue
    incident.refresh_from_db()
    assert incident.regulator_notified_at == told_at
    assert incident.regulator_notice_recorded_by == manager
    assert incident.regulator_notice_note == "By phone, file HC-123"
    assert incident.written_report_filed_at is not None
    assert incident.written_report_recorded_by == manager
    assert all(clock.is_done for clock in incident.health_canada_clocks)
    assert not incident.is_overdue
    page = client.get(f"{LIST}{incident.reference}/").content.decode()
    assert "By phone, file HC-123" in page and "overdue since" not in page
    assert references(client.get(f"{LIST}?overdue=on")) == set()


def test_a_time_in_the_future_is_refused(client, manager, recall):
    incident = report(recall)
    client.force_login(manager)
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"{LIST}{incident.reference}/regulator-notice/", {"at": tomorrow})
    incident.refresh_from_db()
    assert incident.regulator_notified_at is None
    assert "in the future" in client.get(response["Location"]).content.decode()


def test_the_page_says_whether_the_alert_went_out(client, manager, recall):
    incident = report(recall, kinds=("fire",))
    client.force_login(manager)
    page = client.get(f"{LIST}{incident.reference}/").content.decode()
    assert "Alert email to the recall's safety contact: Pending." in page


# --- Who may see and do what ---------------------------------------------------------------------


def test_reviewer_sees_incidents_but_not_who_reported_them_and_cannot_act(client, reviewer, recall):
    # given: an incident, and a reviewer
    incident = report(recall, kinds=("fire",))
    client.force_login(reviewer)
    # then: they see what happened, without the reporter's details or any button
    response = client.get(f"{LIST}{incident.reference}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "It smoked while charging." in page
    for private in ("Sam Gagné", "sam.gagne@example.ca", "819-555-0142"):
        assert private not in page
    assert 'id="acknowledge"' not in page and "regulator-notice-form" not in page
    # and: a forged POST is refused and changes nothing
    for step in ("acknowledge", "regulator-notice", "written-report"):
        assert client.post(f"{LIST}{incident.reference}/{step}/").status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None
    assert incident.regulator_notified_at is None and incident.written_report_filed_at is None


def test_the_services_check_the_right_again(reviewer, recall):
    incident = report(recall)
    with pytest.raises(IncidentRefused):
        incident_acknowledge(incident_id=incident.pk, user=reviewer)
    with pytest.raises(IncidentRefused):
        incident_record_regulator_notice(incident_id=incident.pk, user=reviewer)
    incident.refresh_from_db()
    assert incident.acknowledged_at is None and incident.regulator_notified_at is None


def test_fulfilment_cannot_see_incidents(client, fulfiller, recall):
    incident = report(recall, photo=True)
    client.force_login(fulfiller)
    for url in (
        LIST,
        EXPORT,
        f"{LIST}{incident.reference}/",
        f"{LIST}{incident.reference}/photo/",
    ):
        assert client.get(url).status_code == 403, url
    assert "Incidents" not in client.get("/workspace/").content.decode()


# --- The photo -----------------------------------------------------------------------------------


def test_photo_is_served_only_to_staff_who_may_see_incidents(client, manager, reviewer, recall):
    # given: an incident with a photo
    incident = report(recall, photo=True)
    url = f"{LIST}{incident.reference}/photo/"
    # then: a recall manager and a reviewer get it as a JPEG that no browser sniffs or caches
    for user in (manager, reviewer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
        assert url in client.get(f"{LIST}{incident.reference}/").content.decode()
    # and: nobody signed out, consumer included, gets it
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/workspace/login/")


def test_an_incident_without_a_photo_has_none_to_serve(client, manager, recall):
    incident = report(recall)
    client.force_login(manager)
    assert client.get(f"{LIST}{incident.reference}/photo/").status_code == 404
