"""The staff workspace: queue, claim page, actions by role, from submitted to closed."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recallcases.claims.models import Claim, ClaimStatus, Shipment
from recallcases.claims.services import claim_submit
from recallcases.core.photo_pipeline import process_photo
from tests.factories import ClaimFactory, add_photo, claim_with_link, consumer_details
from tests.images import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db

S = ClaimStatus


def act(client, claim, to_status, note="", version=None):
    claim.refresh_from_db()
    return client.post(
        f"/workspace/claims/{claim.reference}/act/",
        {"to_status": to_status, "note": note, "version": version or claim.version},
    )


def buttons(page: str) -> set[str]:
    return set(re.findall(r'name="to_status" value="([a-z_]+)"', page))


def test_claim_walks_from_submitted_to_closed_through_the_workspace(
    client, recall, speaker, reviewer, fulfiller, manager, as_user
):
    # given: a consumer's claim
    claim, token = claim_with_link(product=speaker)
    # the reviewer verifies it
    as_user(reviewer)
    assert act(client, claim, S.VERIFIED).status_code == 302
    # the recall manager approves the replacement
    as_user(manager)
    act(client, claim, S.REPLACEMENT_APPROVED)
    # fulfilment ships it
    as_user(fulfiller)
    claim.refresh_from_db()
    client.post(
        f"/workspace/claims/{claim.reference}/ship/",
        {"carrier": "Canada Post", "tracking_number": "ab123", "remedy": "replacement",
         "version": claim.version},
    )  # fmt: skip
    # the consumer sends proof of disposal
    client.logout()
    claim.refresh_from_db()
    client.post(
        f"/en/status/{token}/",
        {"action": "upload", "photo": photo_upload(), "note": "", "version": claim.version},
    )
    # the reviewer accepts it and closes the claim
    as_user(reviewer)
    act(client, claim, S.DISPOSAL_CONFIRMED)
    act(client, claim, S.CLOSED)
    # then
    claim.refresh_from_db()
    assert claim.status == S.CLOSED
    assert [e.to_status for e in claim.events.all()] == [
        S.SUBMITTED,
        S.VERIFIED,
        S.REPLACEMENT_APPROVED,
        S.REPLACEMENT_SHIPPED,
        S.DISPOSAL_SUBMITTED,
        S.DISPOSAL_CONFIRMED,
        S.CLOSED,
    ]
    assert [e.actor.username if e.actor else e.actor_kind for e in claim.events.all()] == [
        "consumer", "reviewer", "recall-manager", "fulfilment", "consumer", "reviewer", "reviewer",
    ]  # fmt: skip
    shipment = Shipment.objects.get(claim=claim)
    assert (shipment.carrier, shipment.tracking_number) == ("Canada Post", "AB123")
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "Canada Post" in page and "AB123" in page
    status_page = client.get(f"/en/status/{token}/").content.decode()
    assert "Your claim is complete." in status_page


def test_claim_page_shows_only_the_buttons_of_the_role(
    client, recall, speaker, reviewer, fulfiller, manager, as_user
):
    claim = ClaimFactory(product=speaker)
    url = f"/workspace/claims/{claim.reference}/"
    assert buttons(as_user(reviewer).get(url).content.decode()) == {
        S.VERIFIED, S.REJECTED, S.INFORMATION_REQUESTED
    }  # fmt: skip
    assert buttons(as_user(fulfiller).get(url).content.decode()) == set()
    verified = ClaimFactory(product=speaker, status=S.VERIFIED)
    url = f"/workspace/claims/{verified.reference}/"
    assert buttons(as_user(reviewer).get(url).content.decode()) == set()
    assert buttons(as_user(manager).get(url).content.decode()) == {S.REPLACEMENT_APPROVED}


def test_forged_post_without_the_role_changes_nothing(client, speaker, fulfiller, as_user):
    claim = ClaimFactory(product=speaker)
    as_user(fulfiller)
    response = act(client, claim, S.VERIFIED)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    assert "not allowed" in client.get(response.url).content.decode()


def test_stale_action_refused_with_a_clear_message(client, speaker, reviewer, as_user):
    # given: the reviewer opened the claim at version 1; meanwhile it was asked for more
    claim = ClaimFactory(product=speaker)
    as_user(reviewer)
    act(client, claim, S.INFORMATION_REQUESTED, note="Photo is blurry")
    # when: the reviewer's old page posts "reject"
    response = act(client, claim, S.REJECTED, note="Fake", version=1)
    # then
    claim.refresh_from_db()
    assert claim.status == S.INFORMATION_REQUESTED
    assert "changed by someone else" in client.get(response.url).content.decode()


def test_reject_needs_a_reason_the_consumer_sees(client, speaker, reviewer, as_user):
    claim, token = claim_with_link(product=speaker)
    as_user(reviewer)
    act(client, claim, S.REJECTED, note="")
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    act(client, claim, S.REJECTED, note="The photo shows another product.")
    client.logout()
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "The photo shows another product." in page


def test_bulk_approval_by_the_recall_manager_only(client, speaker, reviewer, manager, as_user):
    verified = [ClaimFactory(product=speaker, status=S.VERIFIED) for _ in range(3)]
    submitted = ClaimFactory(product=speaker)
    references = [c.reference for c in [*verified, submitted]]
    assert as_user(reviewer).post("/workspace/approve/", {"claims": references}).status_code == 403
    response = as_user(manager).post("/workspace/approve/", {"claims": references})
    assert response.status_code == 302
    statuses = dict(Claim.objects.values_list("reference", "status"))
    assert [statuses[c.reference] for c in verified] == [S.REPLACEMENT_APPROVED] * 3
    assert statuses[submitted.reference] == S.SUBMITTED
    page = client.get(response.url).content.decode()
    assert "Replacement approved for 3 claims." in page
    assert submitted.reference in page  # and why it was left


def test_reviewer_sees_photo_but_not_contact_details(client, recall, speaker, reviewer, as_user):
    claim, _ = claim_with_link(product=speaker, email="private@example.com", phone="613-555-0123")
    photo = add_photo(claim)
    page = as_user(reviewer).get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert f"/photos/{photo.pk}/image/" in page
    assert "private@example.com" not in page and "613-555-0123" not in page
    assert claim.address_line1 not in page


def test_fulfilment_sees_shipping_details_but_not_photos(client, speaker, fulfiller, as_user):
    claim = ClaimFactory(product=speaker, status=S.REPLACEMENT_APPROVED, email="ship@example.com")
    photo = add_photo(claim)
    as_user(fulfiller)
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "ship@example.com" in page and claim.address_line1 in page
    assert f"/photos/{photo.pk}/" not in page
    assert client.get(f"/photos/{photo.pk}/image/").status_code == 404


def test_signals_flag_reused_serial_email_address_and_photo(client, speaker, manager, as_user):
    same = {"email": "twice@example.com", "address_key": "ca k1a0b1 24sussexdrive"}
    first = ClaimFactory(product=speaker, status=S.REJECTED, serial="A3102DMX10000200", **same)
    second = ClaimFactory(product=speaker, serial="A3102DMX10000200", **same)
    ClaimFactory(product=speaker, address_key=same["address_key"])
    clean = ClaimFactory(product=speaker, registry_product=speaker, address_key="elsewhere")
    same_photo = jpeg_bytes(color=(1, 2, 3))
    add_photo(first, content=same_photo)
    add_photo(second, content=same_photo)
    add_photo(clean)
    as_user(manager)
    page = client.get(f"/workspace/claims/{second.reference}/").content.decode()
    for signal in [
        "Same serial on another claim",
        "Same email on another claim",
        "Same address on another claim",
        "Many claims to one address",
        "Identical photo on another claim",
    ]:
        assert signal in page
    assert "Same email" not in client.get(f"/workspace/claims/{clean.reference}/").content.decode()
    flagged = client.get("/workspace/?signal=same_photo").content.decode()
    assert second.reference in flagged and clean.reference not in flagged


def test_signals_flag_serial_of_another_product_and_disposable_email(
    client, recall, speaker, manager, as_user
):
    claim = claim_submit(
        recall=recall,
        product=recall.products.get(model="A3302"),  # the registry says A3102
        serial_as_typed="A3102DMX10000300",
        details=consumer_details(email="x@mailinator.com"),
        photo=process_photo(jpeg_bytes()),
    ).claim
    page = as_user(manager).get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "Serial not in the registry, or of another product" in page
    assert "Disposable email address" in page


def test_queue_filters_and_searches(client, recall, speaker, manager, as_user):
    wanted = ClaimFactory(product=speaker, serial="A3102DMX10000401", country="US", region="WA")
    other = ClaimFactory(product=speaker, serial="A3102DMX10000402", status=S.VERIFIED)
    as_user(manager)
    by_serial = client.get("/workspace/?q=a3102-dmx1-0000-401").content.decode()
    assert wanted.reference in by_serial and other.reference not in by_serial
    by_reference = client.get(f"/workspace/?q={wanted.reference.lower()}").content.decode()
    assert wanted.reference in by_reference and other.reference not in by_reference
    by_status = client.get("/workspace/?status=verified").content.decode()
    assert other.reference in by_status and wanted.reference not in by_status
    by_country = client.get("/workspace/?country=US").content.decode()
    assert wanted.reference in by_country and other.reference not in by_country


def test_reviewer_searching_the_queue_by_email_or_name_finds_nothing(
    client, recall, speaker, reviewer, manager, as_user
):
    # given: a claim whose owner a reviewer may not know (ADR 0004: no contact details)
    claim = ClaimFactory(product=speaker, name="Jordan Quist", email="jordan.quist@example.com")
    # when: a reviewer searches by the consumer's email or name, as an oracle would
    as_user(reviewer)
    by_email = client.get("/workspace/?q=jordan.quist@example.com").content.decode()
    by_name = client.get("/workspace/?q=Quist").content.decode()
    by_reference = client.get(f"/workspace/?q={claim.reference}").content.decode()
    # then: only reference and serial match for them; a manager finds it by email
    assert claim.reference not in by_email
    assert claim.reference not in by_name
    assert claim.reference in by_reference
    as_user(manager)
    assert claim.reference in client.get("/workspace/?q=jordan.quist@example.com").content.decode()


def test_queue_runs_the_same_queries_for_100_and_10000_claims(client, speaker, manager, as_user):
    as_user(manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/workspace/?sort=-created_at").status_code == 200
        return len(captured)

    def add_claims(count):
        start = Claim.objects.count()
        Claim.objects.bulk_create(
            ClaimFactory.build(
                product=speaker,
                reference=f"T{n:08d}",
                access_token_hash=f"{n:064d}",
                disposal_code=f"D{n:08d}",
                serial=f"A3102BLK{n:08d}",
            )
            for n in range(start, start + count)
        )

    add_claims(100)
    queries()  # the first page after sign-in also reads the sign-in policy and session
    few = queries()
    add_claims(9_900)
    many = queries()
    assert many == few
    assert few <= 10


def test_next_claim_after_an_action(client, speaker, reviewer, as_user):
    first = ClaimFactory(product=speaker)
    second = ClaimFactory(product=speaker)
    as_user(reviewer)
    first.refresh_from_db()
    response = client.post(
        f"/workspace/claims/{first.reference}/act/",
        {"to_status": S.VERIFIED, "note": "", "version": 1, "go_next": "1"},
    )
    assert response.url == f"/workspace/claims/{second.reference}/"
