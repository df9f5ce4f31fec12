"""Known purchasers: importing the list, matching their claims, and recording bounces."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from recallcases.claims import selectors as claims_selectors
from recallcases.claims.models import Claim, ClaimStatus
from recallcases.claims.services.milestones import claim_milestones_rebuild, claim_tallies_rebuild
from recallcases.core.csv_files import CsvRefused
from recallcases.notices import selectors as notices_selectors
from recallcases.notices.models import Purchaser
from recallcases.notices.selectors import (
    claims_not_on_list,
    claims_not_on_list_count,
    notice_counts,
    with_claimed,
)
from recallcases.notices.services.purchasers import (
    purchasers_bounced_csv,
    purchasers_import_csv,
)
from recallcases.notices.services.sending import (
    notices_send,
)
from recallcases.notifications.models import EmailKind
from tests.factories import ClaimFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,order_number,model,serial,country,language\n"
GOOD_ROWS = (
    "Camille Roy,Camille@Example.ca,112-0001,A3102016,a3102-dmx1-0000-0O1,CA,fr-CA\n"
    "Sam Lee,sam@example.com,112-0002,A3302,,US,en\n"
    "Alex Doe,alex@example.com,112-0003,,,US,\n"
)


def purchaser(recall, **fields) -> Purchaser:
    number = Purchaser.objects.count() + 1
    defaults = {
        "name": "Camille Roy",
        "email": f"purchaser{number}@example.ca",
        "order_number": f"112-{number:04d}",
        "country": "CA",
    }
    return Purchaser.objects.create(recall=recall, **{**defaults, **fields})


def test_import_adds_good_rows_and_reports_the_others_by_line(speaker):
    # given: a list with three good rows, a duplicate and five rows that cannot be imported
    csv = (
        HEADER
        + GOOD_ROWS
        + "Sam Again,SAM@example.com,112-0002,A3302,,US,en\n"  # line 5: same email and order
        + "No Email,not-an-address,112-0009,A3102,,CA,en\n"  # line 6
        + "Wrong Model,w@example.com,112-0010,X9999,,CA,en\n"  # line 7
        + "Wrong Country,c@example.com,112-0011,A3102,,FR,en\n"  # line 8
        + "Wrong Language,l@example.com,112-0012,A3102,,CA,de\n"  # line 9
        + "Short Serial,s@example.com,112-0013,A3102,A3102DMX1,CA,en\n"  # line 10
    )
    # when: it is imported
    report = purchasers_import_csv(recall=speaker.recall, file=io.StringIO(csv))
    # then: the good rows are on the list, normalised; the others are reported by line
    assert (report.rows, report.added) == (9, 3)
    assert report.duplicates == [(5, "sam@example.com 112-0002")]
    assert [line for line, _reason in report.invalid] == [6, 7, 8, 9, 10]
    assert "X9999" in report.invalid[1][1] and "16 characters" in report.invalid[4][1]
    camille = Purchaser.objects.get(order_number="112-0001")
    assert (camille.email, camille.serial, camille.language) == (
        "camille@example.ca",
        "A3102DMX10000001",
        "fr-ca",
    )
    assert camille.product == speaker and camille.source == "direct"
    alex = Purchaser.objects.get(order_number="112-0003")
    assert (alex.product, alex.serial, alex.language) == (None, "", "en")


def test_reimporting_the_same_list_adds_nobody(speaker):
    purchasers_import_csv(recall=speaker.recall, file=io.StringIO(HEADER + GOOD_ROWS))
    # when: the same list comes again
    report = purchasers_import_csv(recall=speaker.recall, file=io.StringIO(HEADER + GOOD_ROWS))
    # then: nothing is added; every row is reported as already on the list
    assert (report.rows, report.added, len(report.duplicates)) == (3, 0, 3)
    assert Purchaser.objects.count() == 3


def test_the_same_order_may_be_on_two_recalls_lists(speaker):
    other = ProductFactory()
    purchasers_import_csv(recall=speaker.recall, file=io.StringIO(HEADER + GOOD_ROWS))
    rows = HEADER + "Sam Lee,sam@example.com,112-0002,,,US,en\n"
    assert purchasers_import_csv(recall=other.recall, file=io.StringIO(rows)).added == 1


def test_the_database_refuses_a_second_purchaser_for_one_order(speaker):
    purchaser(speaker.recall, email="x@example.com", order_number="1")
    with pytest.raises(IntegrityError):
        purchaser(speaker.recall, email="x@example.com", order_number="1")


def test_import_without_the_email_column_imports_nothing(speaker):
    with pytest.raises(CsvRefused, match="Missing: email"):
        purchasers_import_csv(recall=speaker.recall, file=io.StringIO("name,country\nSam,US\n"))
    assert not Purchaser.objects.exists()


def test_import_command_prints_the_report(speaker, tmp_path):
    path = tmp_path / "purchasers.csv"
    path.write_text("\ufeff" + HEADER + GOOD_ROWS + "Bad,bad,1,,,CA,en\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("purchasers_import", speaker.recall.slug, str(path), stdout=out, stderr=err)
    assert "4 rows read: 3 purchasers added, 0 duplicates, 1 invalid." in out.getvalue()
    assert "line 5: invalid" in err.getvalue()
    with pytest.raises(CommandError, match="No recall"):
        call_command("purchasers_import", "no-such-recall", str(path))


# --- Claimed, and claims from owners not on the list ---------------------------------------------


def test_claimed_is_matched_by_serial_when_known_else_by_email(speaker):
    recall = speaker.recall
    # given: purchasers with and without a known serial
    gift = purchaser(recall, serial="A3102DMX10000011", email="giver@example.com")
    wrong_unit = purchaser(recall, serial="A3102DMX10000012", email="owner@example.com")
    by_email = purchaser(recall, email="nosn@example.com")
    nobody = purchaser(recall, email="silent@example.com")
    rejected = purchaser(recall, email="refused@example.com")
    elsewhere = purchaser(recall, email="other-recall@example.com")
    # and: claims — the gift's unit claimed by its new owner, the owner claiming another unit,
    # the purchaser without serial by email, a rejected claim, and a claim in another recall
    ClaimFactory(product=speaker, serial="A3102DMX10000011", email="friend@example.com")
    ClaimFactory(product=speaker, serial="A3102DMX10000099", email="owner@example.com")
    ClaimFactory(product=speaker, email="nosn@example.com")
    ClaimFactory(product=speaker, email="refused@example.com", status=ClaimStatus.REJECTED)
    ClaimFactory(product=ProductFactory(), email="other-recall@example.com")
    # when: the list is read
    claimed = dict(with_claimed(Purchaser.objects.all()).values_list("pk", "claimed"))
    # then: the serial decides when known; the email only when it is not
    assert claimed == {
        gift.pk: True,
        wrong_unit.pk: False,
        by_email.pk: True,
        nobody.pk: False,
        rejected.pk: False,
        elsewhere.pk: False,
    }


def test_claims_not_on_the_list_are_counted_apart(speaker):
    recall = speaker.recall
    purchaser(recall, serial="A3102DMX10000021", email="listed@example.com")
    purchaser(recall, email="emailonly@example.com")
    on_list_serial = ClaimFactory(product=speaker, serial="A3102DMX10000021", email="x@example.com")
    on_list_email = ClaimFactory(product=speaker, email="emailonly@example.com")
    second_unit = ClaimFactory(product=speaker, email="listed@example.com")
    second_hand = ClaimFactory(product=speaker, email="bought-used@example.com")
    ClaimFactory(product=speaker, email="gone@example.com", status=ClaimStatus.WITHDRAWN)
    ClaimFactory(product=ProductFactory(), email="other@example.com")
    # then: only the claim of an owner the list does not know
    assert list(claims_not_on_list(recall)) == [second_hand]
    assert {on_list_serial, on_list_email, second_unit}.isdisjoint(claims_not_on_list(recall))
    counts = notice_counts(recall)
    assert (counts.purchasers, counts.claimed, counts.claims_not_on_list) == (2, 2, 1)


def test_the_count_kept_by_the_database_follows_claims_and_purchasers(speaker, monkeypatch):
    recall = speaker.recall

    def counts() -> tuple[int, int]:
        # (from the claim tallies, counted from the claims as SQLite does)
        kept = claims_not_on_list_count(recall)
        with monkeypatch.context() as m:
            m.setattr(notices_selectors, "tallies_kept", lambda: False)
            return kept, claims_not_on_list_count(recall)

    # given: claims filed before any list: none of them on it
    by_serial = ClaimFactory(product=speaker, serial="A3102DMX10000031", email="a@example.com")
    by_email = ClaimFactory(product=speaker, email="b@example.com")
    unknown = ClaimFactory(product=speaker, email="c@example.com")
    ClaimFactory(product=ProductFactory(), email="b@example.com")  # another recall's
    assert counts() == (3, 3)
    # when: the list is imported after them, in one statement per chunk
    csv = (
        "name,email,order_number,model,serial,country\n"
        "A,listed@example.com,1,,A3102DMX10000031,CA\n"
        "B,b@example.com,2,,,US\n"
    )
    purchasers_import_csv(recall=recall, file=io.StringIO(csv))
    # then: the claims of their serial or email are on it
    assert counts() == (1, 1)
    # when: a claim's serial is corrected, another is withdrawn, one is filed for a listed email
    Claim.objects.filter(pk=by_serial.pk).update(serial="A3102DMX10000032")
    assert counts() == (2, 2)
    Claim.objects.filter(pk=unknown.pk).update(status=ClaimStatus.WITHDRAWN)
    assert counts() == (1, 1)
    ClaimFactory(product=speaker, email="listed@example.com")
    assert counts() == (1, 1)
    # when: a purchaser's email is removed (retention) and another purchaser deleted
    Purchaser.objects.filter(email="b@example.com").update(email="")
    assert counts() == (2, 2)
    Purchaser.objects.filter(email="listed@example.com").delete()
    assert counts() == (3, 3)
    # when: a stale copy of a claim is saved whole, and a purchaser is added one by one
    stale = Claim.objects.get(pk=by_email.pk)
    purchaser(recall, email="b@example.com")
    stale.save()
    assert counts() == (2, 2)
    # then: the database's flags and tallies are what a rebuild finds
    assert claim_milestones_rebuild() == 0 and claim_tallies_rebuild() == 0
    assert claims_selectors.tallies_kept()


# --- Bounces -------------------------------------------------------------------------------------


BOUNCES = (
    "Email,Type,Reason\n"
    "Hard@Example.com,HardBounce,550 5.1.1 user unknown\n"
    "soft@example.com,SoftBounce,mailbox full\n"
    "stranger@example.com,HardBounce,550 no such user\n"
    "not an address,HardBounce,\n"
)


def test_bounce_import_marks_hard_bounces_and_leaves_soft_ones(speaker):
    recall = speaker.recall
    # given: an address on two orders, one with a soft bounce, and one on another recall's list
    first = purchaser(recall, email="hard@example.com", order_number="1")
    second = purchaser(recall, email="hard@example.com", order_number="2")
    soft = purchaser(recall, email="soft@example.com")
    other_recall = purchaser(ProductFactory().recall, email="hard@example.com")
    # when: the provider's export is recorded for this recall
    report = purchasers_bounced_csv(file=io.StringIO(BOUNCES), recall=recall)
    # then: both orders of the hard bounce are marked, with the reason; the rest is reported
    assert (report.rows, report.marked) == (4, 2)
    assert report.soft == [(3, "soft@example.com")]
    assert report.unknown == [(4, "stranger@example.com")]
    assert [line for line, _reason in report.invalid] == [5]
    for row in (first, second, soft, other_recall):
        row.refresh_from_db()
    assert first.bounced_at and first.bounce_reason == "550 5.1.1 user unknown"
    assert second.bounced_at and not soft.bounced_at and not other_recall.bounced_at
    # and: recording the same export again marks nobody twice
    assert purchasers_bounced_csv(file=io.StringIO(BOUNCES), recall=recall).marked == 0


def test_bounced_purchaser_gets_no_notice_or_reminder(speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    recall = speaker.recall
    reached = purchaser(recall, email="reached@example.com")
    bounced = purchaser(recall, email="bounced@example.com", bounced_at=timezone.now())
    notices_send(recall=recall, kind=EmailKind.RECALL_NOTICE)
    reached.refresh_from_db()
    bounced.refresh_from_db()
    assert reached.notice_email is not None and bounced.notice_email is None


def test_bounces_command_prints_the_report(speaker, tmp_path):
    purchaser(speaker.recall, email="hard@example.com")
    path = tmp_path / "bounces.csv"
    path.write_text(BOUNCES, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("notices_bounces", str(path), stdout=out, stderr=err)
    assert "4 rows read: 1 purchasers marked bounced, 1 soft, 1 not on the list, 1 invalid." in (
        out.getvalue()
    )
    assert "line 4: not on the purchaser list: stranger@example.com" in err.getvalue()
    path.write_text("name\nSam\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Missing: email"):
        call_command("notices_bounces", str(path))


def test_bounce_after_the_notice_stops_the_reminders(speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    recall = speaker.recall
    someone = purchaser(recall, email="hard@example.com")
    now = timezone.now()
    notices_send(recall=recall, kind=EmailKind.RECALL_NOTICE, now=now)
    someone.refresh_from_db()
    someone.notice_email.state = "sent"
    someone.notice_email.save()
    purchasers_bounced_csv(file=io.StringIO(BOUNCES), recall=recall)
    later = now + timedelta(days=31)
    assert notices_send(recall=recall, kind=EmailKind.NOTICE_REMINDER, now=later).written == 0
