"""The retention schedule of claims, with time moved forward (`now=`): what is due goes (personal
details blank, photo files gone from storage), what is not due stays; a dry run changes nothing;
a second run changes nothing more."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from recallcases.claims.models import Claim, ClaimEvent, ClaimPhoto, ClaimStatus
from recallcases.claims.retention import (
    CLAIM_PERSONAL_DATA,
    CLAIM_PHOTOS,
    ENDED_STATUSES,
    claim_retention_apply,
)
from recallcases.claims.selectors import claim_by_access_token, claim_for_staff, signals_of
from recallcases.claims.services import claim_link_for
from recallcases.claims.transitions import SYSTEM, TransitionRefused, claim_transition
from recallcases.core.retention import months_before
from tests.factories import ClaimFactory, ProductFactory, add_photo, claim_with_link

pytestmark = pytest.mark.django_db

S = ClaimStatus
SIX_YEARS = timedelta(days=6 * 365 + 2)  # 72 months, leap days included
A_WEEK = timedelta(days=7)


def ended(claim, status=S.REJECTED, note="Not our serial: Alex Tremblay, 613-555-0100 called."):
    """Move `claim` to an ended status, now."""
    return claim_transition(claim_id=claim.pk, to_status=status, actor=SYSTEM, note=note)


def closed(claim):
    for status in (S.VERIFIED, S.REPLACEMENT_APPROVED, S.REPLACEMENT_SHIPPED):
        claim_transition(claim_id=claim.pk, to_status=status, actor=SYSTEM, note="")
    claim_transition(
        claim_id=claim.pk, to_status=S.DISPOSAL_SUBMITTED, actor=SYSTEM, note="Call me, Alex"
    )
    for status in (S.DISPOSAL_CONFIRMED, S.CLOSED):
        claim_transition(claim_id=claim.pk, to_status=status, actor=SYSTEM)
    return Claim.objects.get(pk=claim.pk)


def test_ended_statuses_are_closed_rejected_and_withdrawn():
    assert set(ENDED_STATUSES) == {S.CLOSED, S.REJECTED, S.WITHDRAWN}


def test_months_before_counts_calendar_months():
    moment = timezone.now().replace(year=2032, month=3, day=31)
    assert months_before(moment, 1).date().isoformat() == "2032-02-29"
    assert months_before(moment, 72).date().isoformat() == "2026-03-31"
    assert months_before(moment, 15).date().isoformat() == "2030-12-31"


def test_claim_ended_six_years_ago_loses_its_personal_details_and_photos():
    # given: a closed claim with photos, an extra status link and notes on its events
    claim, token = claim_with_link(order_number="112-1234567-1234567")
    photos = [add_photo(claim), add_photo(claim, kind="disposal")]
    files = [name for photo in photos for name in (photo.image.name, photo.thumbnail.name)]
    link = claim_link_for(claim=claim, key="<retention-test@example.com>")
    claim = closed(claim)
    events = list(claim.events.values_list("from_status", "to_status", "created_at", "actor_kind"))
    assert all(default_storage.exists(name) for name in files)

    # when: the schedule runs six years and a week after it closed
    counts = claim_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    # then
    assert counts[CLAIM_PERSONAL_DATA, claim.recall_id] == 1
    assert counts[CLAIM_PHOTOS, claim.recall_id] == 2
    claim.refresh_from_db()
    for field in ("name", "email", "phone", "address_line1", "address_line2", "city"):
        assert getattr(claim, field) == ""
    assert (claim.postal_code, claim.order_number, claim.address_key) == ("", "", "")
    assert claim.purchase_date is None
    assert claim.anonymised_at is not None and claim.photos_removed_at is not None
    # what the regulators' figures and the recall's records need stays
    assert (claim.status, claim.country, claim.region) == (S.CLOSED, "CA", "ON")
    assert claim.serial.startswith("A3102DMX")
    assert not ClaimPhoto.objects.filter(claim=claim).exists()
    assert not any(default_storage.exists(name) for name in files)
    trail = list(claim.events.values_list("from_status", "to_status", "created_at", "actor_kind"))
    assert trail == events
    assert set(ClaimEvent.objects.filter(claim=claim).values_list("note", flat=True)) == {""}
    # no status link opens it any more
    assert claim_by_access_token(token=token) is None
    assert claim_by_access_token(token=link) is None


def test_claim_not_yet_due_keeps_everything():
    claim = ClaimFactory()
    add_photo(claim)
    ended(claim)

    counts = claim_retention_apply(now=timezone.now() + SIX_YEARS - A_WEEK)

    assert sum(counts.values()) == 0
    claim.refresh_from_db()
    assert claim.name == "Alex Tremblay" and claim.anonymised_at is None
    assert claim.photos.count() == 1
    assert claim.events.exclude(note="").count() == 1


def test_open_claim_keeps_everything_however_old():
    claim = ClaimFactory()
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)

    claim_retention_apply(now=timezone.now() + 3 * SIX_YEARS)

    claim.refresh_from_db()
    assert claim.name == "Alex Tremblay" and claim.anonymised_at is None


def test_clock_starts_when_the_claim_ended_not_when_it_was_filed():
    # given: a claim rejected, reopened and then withdrawn: it ended when it was withdrawn
    claim = ClaimFactory()
    ended(claim)
    claim_transition(claim_id=claim.pk, to_status=S.SUBMITTED, actor=SYSTEM)
    ended(claim, status=S.WITHDRAWN)

    counts = claim_retention_apply(now=timezone.now() + SIX_YEARS - A_WEEK)
    assert sum(counts.values()) == 0
    counts = claim_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)
    assert counts[CLAIM_PERSONAL_DATA, claim.recall_id] == 1


def test_each_recall_sets_its_own_periods():
    # given: a recall that keeps photos one year and details two
    product = ProductFactory()
    recall = product.recall
    recall.claim_photo_retention_months = 12
    recall.claim_retention_months = 24
    recall.save()
    claim = ClaimFactory(product=product)
    photo = add_photo(claim)
    ended(claim)
    other = ClaimFactory()  # another recall, the default six years
    add_photo(other)
    ended(other)

    # when: thirteen months on
    counts = claim_retention_apply(now=timezone.now() + timedelta(days=400))

    # then: this recall's photos are gone, its details and the other recall's photos are kept
    assert dict(+counts) == {(CLAIM_PHOTOS, recall.pk): 1}
    assert not default_storage.exists(photo.image.name)
    claim.refresh_from_db()
    assert claim.name == "Alex Tremblay" and claim.photos_removed_at is not None
    assert other.photos.count() == 1
    counts = claim_retention_apply(now=timezone.now() + timedelta(days=2 * 365 + 30))
    assert dict(+counts) == {(CLAIM_PERSONAL_DATA, recall.pk): 1}


def test_dry_run_changes_nothing_and_counts_the_same():
    claims = [ClaimFactory() for _ in range(3)]
    for claim in claims:
        add_photo(claim)
        ended(claim)
    later = timezone.now() + SIX_YEARS + A_WEEK

    dry = claim_retention_apply(now=later, dry_run=True)

    assert Claim.objects.filter(anonymised_at__isnull=True, name="Alex Tremblay").count() == 3
    assert ClaimPhoto.objects.count() == 3
    assert claim_retention_apply(now=later) == dry
    assert sum(dry.values()) == 6


def test_second_run_changes_nothing():
    claim = ClaimFactory()
    add_photo(claim)
    ended(claim)
    later = timezone.now() + SIX_YEARS + A_WEEK
    claim_retention_apply(now=later)
    claim.refresh_from_db()
    first = (claim.anonymised_at, claim.photos_removed_at, claim.access_token_hash)

    counts = claim_retention_apply(now=later + A_WEEK)

    assert sum(counts.values()) == 0
    claim.refresh_from_db()
    assert (claim.anonymised_at, claim.photos_removed_at, claim.access_token_hash) == first


def test_anonymised_claim_cannot_be_reopened():
    claim = ClaimFactory()
    ended(claim)
    claim_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    with pytest.raises(TransitionRefused):
        claim_transition(claim_id=claim.pk, to_status=S.SUBMITTED, actor=SYSTEM)


def test_blank_details_are_no_fraud_signal():
    product = ProductFactory()
    first, second = (ClaimFactory(product=product, registry_product=product) for _ in range(2))
    for claim in (first, second):
        ended(claim)
    claim_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)

    # both now have a blank email and address: that is no "same email" or "same address"
    assert signals_of(claim_for_staff(reference=first.reference)) == []


def test_event_notes_stay_append_only_except_their_removal(postgres):
    from django.db import DatabaseError, transaction

    claim = ClaimFactory()
    ended(claim)
    event = claim.events.get(to_status=S.REJECTED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ClaimEvent.objects.filter(pk=event.pk).update(note="", to_status=S.CLOSED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ClaimEvent.objects.filter(pk=event.pk).update(note="rewritten")
    ClaimEvent.objects.filter(pk=event.pk).update(note="")
    assert ClaimEvent.objects.get(pk=event.pk).note == ""


def test_staff_claim_page_says_personal_data_was_removed(manager, as_user):
    claim = ClaimFactory()
    add_photo(claim)
    ended(claim)
    claim_retention_apply(now=timezone.now() + SIX_YEARS + A_WEEK)
    claim.refresh_from_db()

    page = as_user(manager).get(reverse("workspace:claim", args=[claim.reference]))

    html = page.content.decode()
    assert page.status_code == 200
    when = claim.anonymised_at.date().isoformat()
    assert f"Personal data removed on {when} under the retention schedule." in html
    assert f"Photos deleted on {when} under the retention schedule." in html
    assert "Alex Tremblay" not in html and "Sussex" not in html
    assert 'id="shipping-details"' not in html
