"""A choice of remedy: each remedy walked to its end, gift card codes issued once from a pool that
may run out, refunds paid through an export and an import of confirmations, and the order of
disposal and remedy kept for each."""

import csv as csv_module
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.claims.lifecycle import STATUSES, consumer_sentence
from recallcases.claims.models import Claim, ClaimStatus, RemedyCode, Shipment
from recallcases.claims.retention import claim_retention_apply
from recallcases.claims.services import (
    ClaimRefused,
    claim_photo_seen,
    claim_remedy_change,
    claim_ship,
)
from recallcases.claims.services.codes import (
    claims_waiting_for_code,
    remedy_code_issue,
    remedy_codes_import,
)
from recallcases.claims.services.payments import claim_pay
from recallcases.claims.tasks import remedy_code_issue_task
from recallcases.claims.transitions import (
    CONSUMER,
    SYSTEM,
    Actor,
    TransitionRefused,
    claim_transition,
)
from recallcases.notifications.models import OutboundEmail
from recallcases.notifications.tasks import send_outbound_email
from recallcases.recalls.demo import POWER_BANK_FILE
from recallcases.recalls.recall_file import RecallFileInvalid, recall_file_check
from recallcases.recalls.services import recall_load, registry_import
from recallcases.reports.selectors.cpsc import cpsc_report
from recallcases.reports.selectors.dashboard import recall_dashboard
from recallcases.reports.selectors.periods import report_month
from tests.consumer.test_pages import claim_form_data, photo_upload
from tests.factories import ProductFactory, RecallFactory, claim_with_link

pytestmark = pytest.mark.django_db

S = ClaimStatus
REPLACEMENT = {
    "remedy": "replacement",
    "label_en": "Free replacement speaker",
    "label_fr": "Haut-parleur de remplacement gratuit",
}
GIFT_CARD = {
    "remedy": "gift_card",
    "label_en": "$30 gift card",
    "label_fr": "Carte-cadeau de 30 $",
    "value": "30.00",
    "currency": "USD",
    "pool_low_at": 2,
}
REFUND = {
    "remedy": "refund",
    "label_en": "Refund of $25",
    "label_fr": "Remboursement de 25 $",
    "value": "25.00",
    "currency": "USD",
}
REPAIR_KIT = {"remedy": "repair_kit", "label_en": "Repair kit", "label_fr": "Trousse"}
OFFERS = {"replacement": REPLACEMENT, "gift_card": GIFT_CARD, "refund": REFUND}
OFFERS["repair_kit"] = REPAIR_KIT


def offering(*offers, disposal_first=False):
    """A product of a recall offering `offers`."""
    recall = RecallFactory(remedies=list(offers), disposal_before_shipping=disposal_first)
    return ProductFactory(recall=recall)


def codes_import(recall, *codes, by, remedy="gift_card"):
    upload = SimpleUploadedFile("codes.csv", ("code\n" + "\n".join(codes) + "\n").encode())
    return remedy_codes_import(file=upload, recall=recall, remedy=remedy, actor=Actor.staff(by))


def approve(claim, staff):
    for status in (S.VERIFIED, S.REPLACEMENT_APPROVED):
        claim_transition(claim_id=claim.pk, to_status=status, actor=Actor.staff(staff))


def dispose(claim, staff):
    claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_SUBMITTED, actor=CONSUMER)
    claim_transition(claim_id=claim.pk, to_status=S.DISPOSAL_CONFIRMED, actor=Actor.staff(staff))


def bodies(message) -> list[str]:
    return [message.body, *(content for content, _type in message.alternatives)]


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def with_code(code: str) -> list:
    return [message for message in mail.outbox if any(code in body for body in bodies(message))]


# --- The lifecycle's words ------------------------------------------------------------------------


@pytest.mark.parametrize("remedy", ["gift_card", "voucher", "refund", "repair_kit"])
def test_no_status_speaks_of_a_replacement_to_the_consumer_of_another_remedy(remedy):
    for status in STATUSES.values():
        words = [status.label_for(remedy), status.milestone_for(remedy) or ""]
        words += [status.next_for(disposal_first=first, remedy=remedy) for first in (False, True)]
        for text in words:
            sentence = consumer_sentence(text, noun="speaker", remedy="$30 gift card")
            assert "replacement" not in sentence.lower(), (status.status, sentence)


# --- The recall file ------------------------------------------------------------------------------


def test_power_bank_file_offers_a_replacement_and_a_gift_card(db):
    recall = recall_load(
        data=json.loads(POWER_BANK_FILE.read_text(encoding="utf-8")),
        base_dir=POWER_BANK_FILE.parent,
    )
    assert recall.offered_remedies == ["replacement", "gift_card"]
    gift_card = recall.remedy_offer("gift_card")
    assert (gift_card.label_en, gift_card.amount, gift_card.currency) == (
        "$30 gift card",
        Decimal("30.00"),
        "USD",
    )
    assert "A1388" in recall.remedy_offer("replacement").label_en


@pytest.mark.parametrize(
    ("offers", "expected"),
    [
        ([], "remedies: must be a list of at least one remedy"),
        ([{"remedy": "cash"}], 'remedies: remedies[0].remedy: "cash" is not a remedy'),
        ([{**GIFT_CARD, "currency": ""}], "remedies: remedies[0]: give value and currency"),
        ([{**GIFT_CARD, "value": "thirty"}], 'remedies: remedies[0].value: "thirty" is not'),
        ([{**GIFT_CARD, "currency": "usd"}], 'remedies: remedies[0].currency: "usd" is not'),
        ([{"remedy": "refund"}], "remedies: remedies[0]: a refund needs its value and currency"),
        ([{**REPLACEMENT, "label_en": ""}], "remedies: remedies[0]: give label_en with label_fr"),
        ([{**REPLACEMENT, "pool_low_at": 5}], "remedies: remedies[0].pool_low_at: only a gift"),
        ([{**GIFT_CARD, "pool_low_at": -1}], "remedies: remedies[0].pool_low_at: must be a whole"),
        ([{**GIFT_CARD, "colour": "red"}], "remedies: remedies[0].colour: unknown field"),
        ([REPLACEMENT, "replacement"], 'remedies: "replacement" is offered twice'),
        ([["replacement"]], "remedies: remedies[0] must be an object"),
    ],
)
def test_recall_file_refuses_a_bad_remedy_offer(offers, expected):
    data = json.loads(POWER_BANK_FILE.read_text(encoding="utf-8"))
    data["recall"]["remedies"] = offers
    with pytest.raises(RecallFileInvalid) as refused:
        recall_file_check(data)
    assert any(line.startswith(expected) for line in refused.value.lines()), refused.value.lines()


def test_admin_refuses_a_bad_remedy_offer(db):
    from django.core.exceptions import ValidationError

    recall = RecallFactory(remedies=[REPLACEMENT, {**GIFT_CARD, "currency": "dollars"}])
    with pytest.raises(ValidationError) as refused:
        recall.clean()
    assert "remedies" in refused.value.message_dict


# --- The consumer's choice ------------------------------------------------------------------------


@pytest.fixture
def two_remedies(recall):
    """The speaker recall, offering a gift card too."""
    recall.remedies = [REPLACEMENT, GIFT_CARD]
    recall.save(update_fields=["remedies"])
    return recall


def test_claim_form_asks_for_a_remedy_only_when_more_than_one_is_offered(client, recall):
    page = client.get(f"/en/{recall.slug}/claim/").content.decode()
    assert 'name="remedy"' not in page
    recall.remedies = [REPLACEMENT, GIFT_CARD]
    recall.save(update_fields=["remedies"])
    page = client.get(f"/en/{recall.slug}/claim/").content.decode()
    assert page.count('name="remedy"') == 2
    assert "$30 gift card" in page and "Free replacement speaker" in page
    french = client.get(f"/fr-ca/{recall.slug}/claim/").content.decode()
    assert "Carte-cadeau de 30 $" in french


def test_consumer_chooses_a_gift_card_on_the_claim_form(client, two_remedies, speaker):
    data = claim_form_data(product=speaker.pk, remedy="gift_card")
    client.post(f"/en/{two_remedies.slug}/claim/", data)
    assert Claim.objects.get().remedy == "gift_card"


@pytest.mark.parametrize("remedy", ["refund", "", "gift_card\nrefund"])
def test_claim_form_refuses_a_remedy_the_recall_does_not_offer(
    client, two_remedies, speaker, remedy
):
    data = claim_form_data(product=speaker.pk, remedy=remedy)
    page = client.post(f"/en/{two_remedies.slug}/claim/", data).content.decode()
    assert not Claim.objects.exists()
    assert "form-errors" in page


def test_consumer_changes_the_remedy_until_it_is_approved(client, two_remedies, speaker, manager):
    claim, token = claim_with_link(product=speaker, remedy="replacement")
    url = f"/en/status/{token}/"
    # when: the consumer chooses the gift card from the status page
    page = client.get(url).content.decode()
    assert "Change your choice of remedy" in page
    client.post(url, {"action": "remedy", "remedy": "gift_card", "version": claim.version})
    claim.refresh_from_db()
    assert claim.remedy == "gift_card"
    entry = AuditEntry.objects.get(action=AuditAction.REMEDY_CHANGE)
    assert (entry.before, entry.after) == ({"remedy": "replacement"}, {"remedy": "gift_card"})
    # when: it is approved, the choice is closed, and a forged post changes nothing
    approve(claim, manager)
    claim.refresh_from_db()
    page = client.get(url).content.decode()
    assert "Change your choice of remedy" not in page
    client.post(url, {"action": "remedy", "remedy": "replacement", "version": claim.version})
    claim.refresh_from_db()
    assert claim.remedy == "gift_card"


def test_consumer_cannot_choose_a_remedy_of_another_recall(client, two_remedies, speaker):
    claim, token = claim_with_link(product=speaker, remedy="replacement")
    response = client.post(
        f"/en/status/{token}/", {"action": "remedy", "remedy": "refund", "version": claim.version}
    )
    claim.refresh_from_db()
    assert claim.remedy == "replacement"
    assert response.status_code == 200  # the form, with its error


def test_staff_change_the_remedy_with_a_note(client, two_remedies, speaker, manager, reviewer):
    claim, _token = claim_with_link(product=speaker, remedy="gift_card")
    url = f"/workspace/claims/{claim.reference}/remedy/"
    # a reviewer may not
    client.force_login(reviewer)
    assert client.post(url, {"remedy": "replacement", "note": "x", "version": 1}).status_code == 403
    # a manager must say why
    client.force_login(manager)
    client.post(url, {"remedy": "replacement", "note": "", "version": claim.version})
    claim.refresh_from_db()
    assert claim.remedy == "gift_card"
    client.post(url, {"remedy": "replacement", "note": "Asked by phone.", "version": claim.version})
    claim.refresh_from_db()
    assert claim.remedy == "replacement"
    entry = AuditEntry.objects.get(action=AuditAction.REMEDY_CHANGE)
    assert entry.note == "Asked by phone." and entry.actor == manager
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "Asked by phone." in page


def test_staff_cannot_change_a_remedy_already_issued(two_remedies, speaker, manager):
    claim, _token = claim_with_link(product=speaker, remedy="replacement")
    approve(claim, manager)
    claim_ship(claim_id=claim.pk, actor=Actor.staff(manager), carrier="UPS", tracking_number="1Z9")
    with pytest.raises(ClaimRefused):
        claim_remedy_change(
            claim_id=claim.pk, remedy="gift_card", actor=Actor.staff(manager), note="why"
        )


# --- Gift cards -----------------------------------------------------------------------------------


def test_gift_card_claim_walked_to_its_end(client, manager, django_capture_on_commit_callbacks):
    # given: a recall offering a replacement or a gift card, and a pool of five codes
    product = offering(REPLACEMENT, GIFT_CARD)
    codes_import(product.recall, *(f"GC-{n}-{n:04d}-SECRET" for n in range(1, 6)), by=manager)
    claim, token = claim_with_link(product=product, remedy="gift_card")
    # when: staff verify and approve it
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
    # then: the claim took the first code, and its email carries it
    claim.refresh_from_db()
    code = RemedyCode.objects.get(claim=claim).code
    assert (claim.status, code) == (S.REPLACEMENT_SHIPPED, "GC-1-0001-SECRET")
    assert Shipment.objects.get(claim=claim).remedy == "gift_card"
    [issued] = with_code(code)
    assert issued.to == [claim.email]
    assert issued.body.count(code) == 1
    assert "$30 gift card" in issued.subject
    # and: no email to the consumer, nor their status page, speaks of a replacement
    for message in mails_to(claim.email):
        for text in [message.subject, *bodies(message)]:
            assert "replacement" not in text.lower(), message.subject
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "replacement" not in page.lower()
    assert "Code sent by email" in page and code not in page
    # when: the consumer disposes of the unit, staff accept it and close the claim
    with django_capture_on_commit_callbacks(execute=True):
        dispose(claim, manager)
        claim_transition(claim_id=claim.pk, to_status=S.CLOSED, actor=Actor.staff(manager))
    claim.refresh_from_db()
    assert claim.status == S.CLOSED
    assert len(with_code(code)) == 1


def test_staff_page_shows_only_the_last_four_characters_of_the_code(
    client, manager, django_capture_on_commit_callbacks
):
    product = offering(REPLACEMENT, GIFT_CARD)
    codes_import(product.recall, "GIFT-CARD-WXYZ-9876", by=manager)
    claim, _token = claim_with_link(product=product, remedy="gift_card")
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
    client.force_login(manager)
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert "…9876" in page
    assert "GIFT-CARD-WXYZ" not in page
    assert "Replacement" not in page  # statuses, buttons and emails named for the remedy
    audit = AuditEntry.objects.get(action=AuditAction.REMEDY_CODE_ISSUE)
    assert "GIFT-CARD" not in json.dumps(audit.after)


def test_gift_card_code_is_sent_once_when_the_tasks_run_twice(
    manager, django_capture_on_commit_callbacks
):
    product = offering(REPLACEMENT, GIFT_CARD)
    codes_import(product.recall, "CODE-A-1111", "CODE-B-2222", "CODE-C-3333", by=manager)
    claim, _token = claim_with_link(product=product, remedy="gift_card")
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
    # when: the issuing task and the send task are delivered again (at-least-once broker)
    with django_capture_on_commit_callbacks(execute=True):
        assert remedy_code_issue_task(claim.pk) is True
        assert remedy_code_issue_task(claim.pk) is True
        issued = OutboundEmail.objects.get(claim=claim, kind="replacement_shipped")
        send_outbound_email(issued.pk)
        send_outbound_email(issued.pk)
    # then: one code, one shipment, one email with the code
    assert RemedyCode.objects.filter(claim=claim).count() == 1
    assert Shipment.objects.filter(claim=claim).count() == 1
    assert OutboundEmail.objects.filter(claim=claim, kind="replacement_shipped").count() == 1
    assert len(with_code("CODE-A-1111")) == 1
    assert RemedyCode.objects.filter(claim__isnull=True).count() == 2


def test_a_pool_that_runs_out_keeps_the_claim_waiting_and_tells_the_manager(
    manager, django_capture_on_commit_callbacks
):
    # given: one code, and two gift card claims approved
    product = offering(REPLACEMENT, {**GIFT_CARD, "pool_low_at": 0})
    codes_import(product.recall, "ONLY-CODE-0001", by=manager)
    first, _ = claim_with_link(product=product, remedy="gift_card")
    second, _ = claim_with_link(product=product, remedy="gift_card")
    manager.email = "manager@example.com"
    manager.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        approve(first, manager)
    with django_capture_on_commit_callbacks(execute=True):
        approve(second, manager)
    # a second try finds the pool empty still
    with django_capture_on_commit_callbacks(execute=True):
        assert remedy_code_issue(claim_id=second.pk) is None
    # then: the first has the code; the second waits, approved, with none
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == S.REPLACEMENT_SHIPPED
    assert second.status == S.REPLACEMENT_APPROVED
    assert list(claims_waiting_for_code()) == [second]
    # and: the manager is told once
    warnings = mails_to(manager.email)
    assert [message.subject for message in warnings] == [
        f"No Gift card codes left for {product.recall.title_en}"
    ]
    # when: the manager imports more
    with django_capture_on_commit_callbacks(execute=True):
        report = codes_import(product.recall, "NEXT-CODE-0002", by=manager)
    # then: the waiting claim is issued the new code; no code and no claim is lost
    assert report.added == 1
    second.refresh_from_db()
    assert second.status == S.REPLACEMENT_SHIPPED
    assert RemedyCode.objects.get(claim=second).code == "NEXT-CODE-0002"
    assert RemedyCode.objects.filter(claim__isnull=True).count() == 0
    assert len(with_code("ONLY-CODE-0001")) == len(with_code("NEXT-CODE-0002")) == 1


def test_the_manager_is_warned_once_when_the_pool_runs_low(
    client, manager, django_capture_on_commit_callbacks
):
    # given: four codes, warning at two left
    manager.email = "manager@example.com"
    manager.save(update_fields=["email"])
    product = offering(REPLACEMENT, GIFT_CARD)
    codes_import(product.recall, "C1-AAAA", "C2-BBBB", "C3-CCCC", "C4-DDDD", by=manager)
    claims = [claim_with_link(product=product, remedy="gift_card")[0] for _ in range(3)]
    # when: three claims take a code each (left: 3, 2, 1)
    for claim in claims:
        with django_capture_on_commit_callbacks(execute=True):
            approve(claim, manager)
    # then: one warning, when it crossed two
    assert [m.subject for m in mails_to(manager.email)] == [
        f"2 Gift card codes left for {product.recall.title_en}"
    ]
    # and: the pool page and the dashboard show it
    client.force_login(manager)
    pool_page = client.get(f"/workspace/codes/{product.recall.slug}/gift_card/").content
    assert b'id="pool-low"' in pool_page
    dashboard = client.get(f"/workspace/reports/{product.recall.slug}/").content.decode()
    assert "Few codes left for $30 gift card: 1." in dashboard


def test_codes_import_names_each_refused_line(client, manager):
    product = offering(REPLACEMENT, GIFT_CARD)
    codes_import(product.recall, "ALREADY-IN-POOL", by=manager)
    client.force_login(manager)
    csv = "code\nGOOD-0001\nALREADY-IN-POOL\nGOOD-0001\n\n" + "X" * 101 + "\nGOOD-0002\n"
    upload = SimpleUploadedFile("codes.csv", csv.encode(), "text/csv")
    page = client.post(
        f"/workspace/codes/{product.recall.slug}/gift_card/", {"file": upload}
    ).content.decode()
    assert "2 codes added" in page
    assert "This code is already in the pool." in page
    assert "The same code is on line 2." in page
    assert "The code is longer than 100 characters." in page
    assert set(RemedyCode.objects.values_list("code", flat=True)) == {
        "ALREADY-IN-POOL",
        "GOOD-0001",
        "GOOD-0002",
    }
    # a fake file: nothing imported
    fake = SimpleUploadedFile("codes.csv", b"\x00\x01PNG", "text/csv")
    page = client.post(f"/workspace/codes/{product.recall.slug}/gift_card/", {"file": fake})
    assert "Nothing imported" in page.content.decode()
    assert RemedyCode.objects.count() == 3


def test_staff_see_a_claim_waiting_for_a_code_and_no_shipment_form(
    client, manager, django_capture_on_commit_callbacks
):
    product = offering(REPLACEMENT, GIFT_CARD)
    claim, _token = claim_with_link(product=product, remedy="gift_card")
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
    client.force_login(manager)
    page = client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    assert 'id="waits-for-code"' in page
    assert 'id="ship-form"' not in page
    # and: a forged shipment of the claim as a replacement is refused
    with pytest.raises(TransitionRefused):
        claim_ship(
            claim_id=claim.pk,
            actor=Actor.staff(manager),
            carrier="UPS",
            tracking_number="1ZFORGED",
            remedy="replacement",
        )
    claim.refresh_from_db()
    assert claim.status == S.REPLACEMENT_APPROVED


def test_codes_import_refuses_a_code_with_a_line_break_inside(manager):
    product = offering(REPLACEMENT, GIFT_CARD)
    upload = SimpleUploadedFile("codes.csv", b'code\n"ABC\nDEF"\nGOOD-1\n')
    report = remedy_codes_import(
        file=upload, recall=product.recall, remedy="gift_card", actor=Actor.staff(manager)
    )
    assert report.added == 1
    assert [reason for _line, reason in report.refused] == [
        "A code has no spaces, line breaks or control characters."
    ]


def test_retention_keeps_only_the_last_four_characters_of_a_code(
    manager, django_capture_on_commit_callbacks
):
    product = offering(REPLACEMENT, GIFT_CARD)
    codes_import(product.recall, "KEEP-SECRET-4321", by=manager)
    claim, _token = claim_with_link(product=product, remedy="gift_card")
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
    dispose(claim, manager)
    claim_transition(claim_id=claim.pk, to_status=S.CLOSED, actor=SYSTEM)
    claim_retention_apply(now=timezone.now() + timedelta(days=365 * 7))
    code = RemedyCode.objects.get(claim=claim)
    assert "SECRET" not in code.code and code.last4 == "4321"


def test_codes_pages_refuse_a_remedy_without_a_pool(client, manager, fulfiller):
    product = offering(REPLACEMENT, GIFT_CARD)
    client.force_login(manager)
    assert client.get(f"/workspace/codes/{product.recall.slug}/refund/").status_code == 404
    assert client.get(f"/workspace/codes/{product.recall.slug}/replacement/").status_code == 404
    client.force_login(fulfiller)
    assert client.get(f"/workspace/codes/{product.recall.slug}/gift_card/").status_code == 403


# --- Refunds --------------------------------------------------------------------------------------


def test_refund_claim_walked_to_its_end(
    client, manager, fulfiller, django_capture_on_commit_callbacks
):
    # given: two refund claims approved, and one of another recall
    product = offering(REPLACEMENT, REFUND)
    claim, token = claim_with_link(product=product, remedy="refund", name="Jordan\nSmith")
    other, _ = claim_with_link(product=product, remedy="refund")
    approve(claim, manager)
    approve(other, manager)
    # when: fulfilment exports the refunds to pay
    client.force_login(fulfiller)
    export = b"".join(client.get("/workspace/refunds/export.csv").streaming_content).decode()
    rows = list(csv_module.reader(io.StringIO(export)))
    assert rows[0] == ["reference", "payee", "email", "amount", "currency"]
    mine = next(row for row in rows if row[0] == claim.reference)
    assert mine[2:] == [claim.email, "25.00", "USD"] and "Jordan" in mine[1]
    assert len(rows) == 3
    assert AuditEntry.objects.filter(action=AuditAction.PAYMENTS_EXPORT).count() == 1
    # and: imports the payments team's confirmations, one wrong amount, one unknown reference
    csv = (
        "reference,payment_reference,amount,currency\n"
        f"{claim.reference},PAY-0001,25.00,USD\n"
        f"{other.reference},PAY-0002,30.00,USD\n"
        "RC-NOPE,PAY-0003,25.00,USD\n"
    )
    upload = SimpleUploadedFile("payments.csv", csv.encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            "/workspace/refunds/import/", {"file": upload, "bad_rows": "good_rows"}
        ).content.decode()
    # then: a report per row
    assert "1 applied" in page
    assert "The refund of this claim is 25.00 USD." in page
    assert "No claim has this reference." in page
    claim.refresh_from_db(), other.refresh_from_db()
    assert claim.status == S.REPLACEMENT_SHIPPED and other.status == S.REPLACEMENT_APPROVED
    assert Shipment.objects.get(claim=claim).tracking_number == "PAY-0001"
    # and: the consumer is told, in words of a refund
    [paid] = [m for m in mails_to(claim.email) if m.subject.startswith("Your refund is paid")]
    assert "Refund of $25" in paid.body
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "Refund paid" in page and "replacement" not in page.lower()
    # when: the same confirmation is sent again, it is refused
    upload = SimpleUploadedFile("payments.csv", csv.encode(), "text/csv")
    page = client.post(
        "/workspace/refunds/import/", {"file": upload, "bad_rows": "all_or_nothing"}
    ).content.decode()
    assert "Nothing applied" in page


def test_refund_is_not_shipped_and_a_shipment_is_not_paid(manager):
    product = offering(REPLACEMENT, REFUND)
    refund, _ = claim_with_link(product=product, remedy="refund")
    replacement, _ = claim_with_link(product=product, remedy="replacement")
    approve(refund, manager)
    approve(replacement, manager)
    with pytest.raises(TransitionRefused):
        claim_ship(
            claim_id=refund.pk, actor=Actor.staff(manager), carrier="UPS", tracking_number="1Z1"
        )
    with pytest.raises(TransitionRefused):
        claim_pay(
            claim_id=replacement.pk,
            actor=Actor.staff(manager),
            payment_reference="PAY-9",
            amount=Decimal("25.00"),
            currency="USD",
        )


def test_repair_kit_ships_as_a_replacement_does_in_its_own_words(
    client, manager, django_capture_on_commit_callbacks
):
    product = offering(REPLACEMENT, REPAIR_KIT)
    claim, token = claim_with_link(product=product, remedy="repair_kit")
    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
        claim_ship(
            claim_id=claim.pk, actor=Actor.staff(manager), carrier="UPS", tracking_number="1ZKIT"
        )
    claim.refresh_from_db()
    assert claim.status == S.REPLACEMENT_SHIPPED
    assert Shipment.objects.get(claim=claim).remedy == "repair_kit"
    shipped = [m for m in mails_to(claim.email) if "1ZKIT" in m.body]
    assert shipped and "Repair kit" in shipped[0].body
    for message in mails_to(claim.email):
        assert "replacement" not in message.body.lower()
    page = client.get(f"/en/status/{token}/").content.decode()
    assert "Remedy shipped" in page and "replacement" not in page.lower()


def test_shipping_list_holds_only_remedies_that_ship(client, fulfiller, manager):
    product = offering(REPLACEMENT, GIFT_CARD, REFUND)
    shipped, _ = claim_with_link(product=product, remedy="replacement")
    paid, _ = claim_with_link(product=product, remedy="refund")
    coded, _ = claim_with_link(product=product, remedy="gift_card")
    for claim in (shipped, paid, coded):
        approve(claim, manager)
    client.force_login(fulfiller)
    page = client.get("/workspace/fulfilment/").content.decode()
    assert shipped.reference in page
    assert paid.reference not in page and coded.reference not in page
    assert paid.reference in client.get("/workspace/refunds/").content.decode()


# --- Disposal first, for every remedy -------------------------------------------------------------


@pytest.mark.parametrize("remedy", ["replacement", "repair_kit", "gift_card", "refund"])
def test_disposal_first_issues_no_remedy_before_the_proof_is_accepted(
    remedy, manager, django_capture_on_commit_callbacks
):
    # given: a recall that wants proof of disposal before the remedy, and a claim approved
    offers = [REPLACEMENT] if remedy == "replacement" else [REPLACEMENT, OFFERS[remedy]]
    product = offering(*offers, disposal_first=True)
    codes_import(product.recall, "DF-CODE-0001", by=manager) if remedy == "gift_card" else None
    claim, _token = claim_with_link(product=product, remedy=remedy)
    staff = Actor.staff(manager)

    def issue():
        if remedy == "gift_card":
            return remedy_code_issue(claim_id=claim.pk)
        if remedy == "refund":
            return claim_pay(
                claim_id=claim.pk,
                actor=staff,
                payment_reference="PAY-DF",
                amount=Decimal("25.00"),
                currency="USD",
            )
        return claim_ship(claim_id=claim.pk, actor=staff, carrier="UPS", tracking_number="1ZDF")

    with django_capture_on_commit_callbacks(execute=True):
        approve(claim, manager)
    # then: the remedy cannot be issued yet
    if remedy == "gift_card":
        assert issue() is None
    else:
        with pytest.raises(TransitionRefused):
            issue()
    claim.refresh_from_db()
    assert claim.status == S.REPLACEMENT_APPROVED
    assert not Shipment.objects.filter(claim=claim).exists()
    # when: the proof is accepted
    with django_capture_on_commit_callbacks(execute=True):
        dispose(claim, manager)
        if remedy != "gift_card":  # a code is issued by itself once the proof is accepted
            issue()
    # then: the remedy is issued, after the disposal was confirmed
    claim.refresh_from_db()
    assert claim.status == S.REPLACEMENT_SHIPPED
    assert Shipment.objects.get(claim=claim).remedy == remedy
    order = list(claim.events.values_list("to_status", flat=True))
    assert order.index(S.DISPOSAL_CONFIRMED) < order.index(S.REPLACEMENT_SHIPPED)


# --- Done when: the power bank recall, a gift card chosen -----------------------------------------


def test_power_bank_consumer_chooses_a_gift_card_and_gets_its_code_once(
    client, recall, manager, reviewer, django_capture_on_commit_callbacks
):
    # given: the power bank recall loaded from its file beside the speaker recall, its serials,
    # and the manager's pool of codes
    power_banks = recall_load(
        data=json.loads(POWER_BANK_FILE.read_text(encoding="utf-8")),
        base_dir=POWER_BANK_FILE.parent,
    )
    registry_import(
        recall=power_banks,
        rows=[
            {"model": "A1263", "first_serial": "A1263PB0000001", "last_serial": "A1263PB0000100"}
        ],
    )
    product = power_banks.products.get()
    client.force_login(manager)
    upload = SimpleUploadedFile("codes.csv", b"code\nPB-GIFT-7777-0001\nPB-GIFT-7777-0002\n")
    client.post(f"/workspace/codes/{power_banks.slug}/gift_card/", {"file": upload})
    client.logout()
    # when: the consumer chooses the gift card on the claim form
    page = client.get(f"/en/{power_banks.slug}/claim/").content.decode()
    assert "$30 gift card" in page and "(model A1388)" in page
    data = claim_form_data(
        serial="A1263PB0000042",
        product=product.pk,
        order_number="NE-12345678",
        remedy="gift_card",
        photo=photo_upload(),
        # its second proof photo: the unit marked "recalled" with the date and the owner's name
        photo_marked_unit=photo_upload("unit.jpg"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/{power_banks.slug}/claim/", data)
    claim = Claim.objects.get(recall=power_banks)
    assert claim.remedy == "gift_card"
    # and: staff verify and approve; the consumer disposes of it first; staff accept the proof
    with django_capture_on_commit_callbacks(execute=True):
        # the reviewer opens both photos the recall wants seen before verifying
        for photo in claim.photos.all():
            claim_photo_seen(photo=photo, user=reviewer)
        claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=Actor.staff(reviewer))
        claim_transition(
            claim_id=claim.pk, to_status=S.REPLACEMENT_APPROVED, actor=Actor.staff(manager)
        )
    assert not RemedyCode.objects.filter(claim=claim).exists()  # disposal first
    with django_capture_on_commit_callbacks(execute=True):
        dispose(claim, manager)
    # then: the first code of the pool reaches the consumer's email exactly once
    claim.refresh_from_db()
    assert claim.status == S.REPLACEMENT_SHIPPED
    sent = with_code("PB-GIFT-7777-0001")
    assert len(sent) == 1 and sent[0].to == [claim.email]
    assert sum(body.count("PB-GIFT-7777-0001") for body in bodies(sent[0])) == 2  # text, html
    assert sent[0].body.count("PB-GIFT-7777-0001") == 1
    for message in mails_to(claim.email):
        assert "replacement" not in message.body.lower(), message.subject
    # and: the reports count it, by remedy
    board = recall_dashboard(recall=power_banks)
    by_remedy = {row.remedy: (row.claims, row.remedied) for row in board.by_remedy}
    assert by_remedy == {"replacement": (0, 0), "gift_card": (1, 1)}
    month = report_month(f"{claim.created_at:%Y-%m}")
    cpsc = cpsc_report(recall=power_banks, month=month)
    assert cpsc.section("units").figure("corrected_gift_card").values[1:] == (1, 1)
    assert cpsc.section("units").figure("corrected_replacement").values[1:] == (0, 0)
    client.force_login(manager)
    dashboard = client.get(f"/workspace/reports/{power_banks.slug}/").content.decode()
    row = re.search(r'<tr data-remedy="gift_card">.*?</tr>', dashboard, re.S).group(0)
    assert "$30 gift card" in row


def test_recall_managers_import_codes_and_change_remedies(manager, reviewer, fulfiller):
    # the roles hold the new permissions (a migration runs roles_sync)
    for permission in ("claims.import_remedy_codes", "claims.change_claim_remedy"):
        assert manager.has_perm(permission)
        assert not reviewer.has_perm(permission) and not fulfiller.has_perm(permission)


# --- Query counts ---------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_refunds_list_costs_the_same_queries_for_two_or_twenty_claims(client, fulfiller, manager):
    product = offering(REPLACEMENT, REFUND)
    for _ in range(2):
        approve(claim_with_link(product=product, remedy="refund")[0], manager)
    client.force_login(fulfiller)
    few = _queries(client, "/workspace/refunds/")
    for _ in range(18):
        approve(claim_with_link(product=product, remedy="refund")[0], manager)
    assert _queries(client, "/workspace/refunds/") == few


def test_code_pool_page_costs_the_same_queries_for_two_or_twenty_waiting_claims(client, manager):
    product = offering(REPLACEMENT, GIFT_CARD)
    url = f"/workspace/codes/{product.recall.slug}/gift_card/"
    for _ in range(2):
        approve(claim_with_link(product=product, remedy="gift_card")[0], manager)
    client.force_login(manager)
    few = _queries(client, url)
    for _ in range(18):
        approve(claim_with_link(product=product, remedy="gift_card")[0], manager)
    assert _queries(client, url) == few
