"""Sending the recall notice and its reminders through the outbox, at the configured rate."""

import email.policy
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import escape

from recallcases.notices.models import Purchaser
from recallcases.notices.selectors import notices_due_soon
from recallcases.notices.services.purchasers import (
    purchaser_unsubscribe,
)
from recallcases.notices.services.sending import (
    MAX_REMINDERS,
    PUBLISH_AHEAD,
    PUBLISH_BEHIND,
    notices_publish,
    notices_send,
    notices_tick,
)
from recallcases.notices.tokens import unsubscribe_token
from recallcases.notifications.models import EmailKind, EmailState, OutboundEmail
from recallcases.notifications.services import Outcome, deliver
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

NOTICE, REMINDER = EmailKind.RECALL_NOTICE, EmailKind.NOTICE_REMINDER


def purchaser(recall, **fields) -> Purchaser:
    number = Purchaser.objects.count() + 1
    defaults = {
        "name": "Camille Roy",
        "email": f"purchaser{number}@example.ca",
        "order_number": f"112-{number:04d}",
        "country": "CA",
    }
    return Purchaser.objects.create(recall=recall, **{**defaults, **fields})


def mark_sent(*purchasers: Purchaser) -> None:
    """What deliver does once the mail server took the notice."""
    for someone in purchasers:
        someone.refresh_from_db()
        OutboundEmail.objects.filter(pk=someone.notice_email_id).update(state=EmailState.SENT)


# --- The notice ----------------------------------------------------------------------------------


def test_send_writes_one_notice_per_reachable_purchaser_and_none_for_unsubscribed(speaker):
    recall = speaker.recall
    # given: two reachable purchasers, one unsubscribed, one whose address bounced
    first, second = purchaser(recall), purchaser(recall)
    purchaser(recall, unsubscribed_at=timezone.now())
    purchaser(recall, bounced_at=timezone.now())
    # when: the notice is sent
    batch = notices_send(recall=recall, kind=NOTICE)
    # then: one outbox row each for the two, addressed to them, and nothing for the others
    assert batch.written == 2
    emails = list(OutboundEmail.objects.order_by("pk"))
    assert [(e.kind, e.recipient, e.notice.purchaser, e.claim) for e in emails] == [
        (NOTICE, first.email, first, None),
        (NOTICE, second.email, second, None),
    ]
    assert [e.dedupe_key for e in emails] == [f"notice:{first.pk}", f"notice:{second.pk}"]
    first.refresh_from_db()
    assert (first.notice_email, first.last_email) == (emails[0], emails[0])
    assert first.notified_at is not None
    # and: sending again writes nothing more
    assert notices_send(recall=recall, kind=NOTICE).written == 0
    assert OutboundEmail.objects.count() == 2


def test_send_in_batches_of_the_limit(speaker):
    for _ in range(5):
        purchaser(speaker.recall)
    written = [notices_send(recall=speaker.recall, kind=NOTICE, limit=2).written for _ in range(4)]
    assert written == [2, 2, 1, 0]
    assert OutboundEmail.objects.filter(kind=NOTICE).count() == 5


def test_notices_are_spaced_at_the_configured_rate(speaker, settings):
    # given: a rate of 6 notices a minute (one every 10 s) and 8 purchasers
    settings.NOTICE_RATE_PER_MINUTE = 6
    for _ in range(8):
        purchaser(speaker.recall)
    now = timezone.now()
    # when: the notice is sent in two batches
    first = notices_send(recall=speaker.recall, kind=NOTICE, limit=5, now=now)
    second = notices_send(recall=speaker.recall, kind=NOTICE, now=now)
    # then: each is due 10 s after the one before, the second batch after the first
    due = [
        (at - now).total_seconds()
        for at in OutboundEmail.objects.order_by("pk").values_list("next_attempt_at", flat=True)
    ]
    assert due == [0, 10, 20, 30, 40, 50, 60, 70]
    assert (first.first_at, second.last_at) == (now, now + timedelta(seconds=70))
    # and: each minute the rows due in that minute are handed over with their countdowns
    countdowns = [
        countdown
        for _id, countdown in notices_due_soon(
            now=now, since=now - PUBLISH_BEHIND, until=now + PUBLISH_AHEAD
        )
    ]
    assert countdowns == [0, 10, 20, 30, 40, 50]
    minute_later = now + timedelta(seconds=60)
    later = notices_due_soon(
        now=minute_later, since=minute_later - PUBLISH_BEHIND, until=minute_later + PUBLISH_AHEAD
    )
    assert [countdown for _id, countdown in later] == [0, 0, 10]


def test_a_big_list_is_not_sent_at_once_even_with_tasks_in_process(speaker, settings):
    # given: tasks run in-process (no broker), which ignores countdowns
    settings.NOTICE_RATE_PER_MINUTE = 60
    for _ in range(3):
        purchaser(speaker.recall)
    notices_send(recall=speaker.recall, kind=NOTICE, now=timezone.now())
    # when: the notices due soon are published
    published = notices_publish()
    # then: only the one due now is sent; the others wait for their time (cron's outbox_send)
    assert [countdown for _id, countdown in published] == [0]
    assert len(mail.outbox) == 1
    states = list(OutboundEmail.objects.order_by("pk").values_list("state", flat=True))
    assert states == [EmailState.SENT, EmailState.PENDING, EmailState.PENDING]


def test_notice_is_published_after_commit_and_sent_once(
    speaker, django_capture_on_commit_callbacks
):
    someone = purchaser(speaker.recall, email="sam@example.com")
    # when: the notice is written; its publish runs once the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notices_send(recall=speaker.recall, kind=NOTICE)
    # then: it went to the purchaser, once, with the row's Message-ID
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [["sam@example.com"]]
    someone.refresh_from_db()
    email = someone.notice_email
    assert mail.outbox[0].extra_headers["Message-ID"] == email.message_id
    assert (email.state, email.attempts) == (EmailState.SENT, 1)
    # and: the broker delivering the task again sends nothing more
    assert deliver(email_id=email.pk) == (Outcome.SKIPPED, 0)
    assert len(mail.outbox) == 1


def test_notice_in_french_for_a_french_speaking_purchaser(client, recall, speaker):
    # given: a French-speaking purchaser whose serial is known
    someone = purchaser(
        recall,
        name="Camille Roy",
        email="camille@example.ca",
        product=speaker,
        serial="A3102DMX10000042",
        language="fr-ca",
    )
    notices_send(recall=recall, kind=NOTICE)
    someone.refresh_from_db()
    # when: it is sent
    assert deliver(email_id=someone.notice_email_id)[0] == Outcome.SENT
    message = mail.outbox[0]
    body = message.body
    # then: the recall's French texts, its French page, the support contact and the serial
    assert recall.title_fr in message.subject
    assert recall.title_fr in body and recall.hazard_fr in body and recall.remedy_fr in body
    assert "Cessez immédiatement d'utiliser le haut-parleur rappelé." in body
    assert recall.hazard_en not in body
    assert f"http://127.0.0.1:8000/fr-ca/{recall.slug}/" in body
    assert "800-988-7973" in body and "support@anker.com" in body
    assert "A3102DMX10000042" in body and "Haut-parleur Bluetooth Anker Soundcore" in body
    # and: an unsubscribe link in the text and in the headers, in French, that opens
    token = unsubscribe_token(purchaser_id=someone.pk)
    link = f"http://127.0.0.1:8000/fr-ca/unsubscribe/{token}/"
    assert link in body
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0].content
    assert 'lang="fr-ca"' in html and link in html and escape(recall.hazard_fr) in html
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_notice_in_english_names_the_order(recall, speaker):
    someone = purchaser(recall, email="sam@example.com", order_number="112-7", product=speaker)
    notices_send(recall=recall, kind=NOTICE)
    someone.refresh_from_db()
    deliver(email_id=someone.notice_email_id)
    body = mail.outbox[0].body
    assert recall.title_en in mail.outbox[0].subject
    assert "112-7" in body and recall.hazard_en in body
    assert f"/en/{recall.slug}/" in body and "/en/unsubscribe/" in body


def test_unsubscribing_stops_a_notice_written_but_not_sent_yet(speaker):
    someone = purchaser(speaker.recall)
    notices_send(recall=speaker.recall, kind=NOTICE, now=timezone.now() + timedelta(minutes=5))
    someone.refresh_from_db()
    # when: they unsubscribe before it goes
    assert purchaser_unsubscribe(purchaser=someone) == 1
    # then: it is not sent, and says why
    email = OutboundEmail.objects.get(pk=someone.notice_email_id)
    assert (email.state, email.last_error) == (
        EmailState.FAILED,
        "Not sent: the purchaser unsubscribed.",
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=EmailState.PENDING, next_attempt_at=timezone.now()
    )  # staff send it again
    assert deliver(email_id=email.pk)[0] == Outcome.RETRY
    assert mail.outbox == []


def test_unsubscribing_covers_every_order_of_the_address_in_that_recall_only(speaker):
    from tests.factories import ProductFactory

    first = purchaser(speaker.recall, email="sam@example.com", order_number="1")
    second = purchaser(speaker.recall, email="sam@example.com", order_number="2")
    other = purchaser(ProductFactory().recall, email="sam@example.com", order_number="1")
    assert purchaser_unsubscribe(purchaser=first) == 2
    assert purchaser_unsubscribe(purchaser=second) == 0
    unsubscribed = dict(Purchaser.objects.values_list("pk", "unsubscribed_at"))
    assert unsubscribed[first.pk] and unsubscribed[second.pk] and not unsubscribed[other.pk]


# --- Reminders -----------------------------------------------------------------------------------


def test_reminders_once_per_period_until_the_last(speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    someone = purchaser(speaker.recall)
    start = timezone.now()
    notices_send(recall=speaker.recall, kind=NOTICE, now=start)
    mark_sent(someone)

    def remind(days: float) -> int:
        at = start + timedelta(days=days)
        return notices_send(recall=speaker.recall, kind=REMINDER, now=at).written

    # then: none before 30 days; one at 30, however often it runs; one each 30 days after
    assert remind(29.9) == 0
    assert [remind(30.1), remind(30.2), remind(59)] == [1, 0, 0]
    assert [remind(60.2), remind(61)] == [1, 0]
    assert [remind(90.3) for _ in range(2)] == [1, 0]
    # and: no more than MAX_REMINDERS
    assert remind(400) == 0
    reminders = OutboundEmail.objects.filter(kind=REMINDER).order_by("pk")
    assert reminders.count() == MAX_REMINDERS == 3
    assert [e.dedupe_key for e in reminders] == [
        f"notice-reminder:{someone.pk}:{n}" for n in (1, 2, 3)
    ]
    someone.refresh_from_db()
    assert (someone.reminders_sent, someone.next_reminder_at) == (3, None)


def test_no_reminder_after_a_claim_or_unsubscribing_or_before_the_notice_went(speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    recall = speaker.recall
    # given: notified purchasers, some of whom claimed or unsubscribed since
    waiting = purchaser(recall)
    claimed_by_serial = purchaser(recall, serial="A3102DMX10000031")
    claimed_by_email = purchaser(recall, email="claimer@example.com")
    unsubscribed = purchaser(recall)
    failed = purchaser(recall)
    start = timezone.now()
    notices_send(recall=recall, kind=NOTICE, now=start)
    mark_sent(waiting, claimed_by_serial, claimed_by_email, unsubscribed)
    OutboundEmail.objects.filter(pk=failed.notice_email_id).update(state=EmailState.FAILED)
    ClaimFactory(product=speaker, serial="A3102DMX10000031")
    ClaimFactory(product=speaker, email="claimer@example.com")
    purchaser_unsubscribe(purchaser=unsubscribed)
    # when: the reminders are due
    notices_send(recall=recall, kind=REMINDER, now=start + timedelta(days=31))
    # then: only the one who has done nothing is reminded
    reminded = OutboundEmail.objects.filter(kind=REMINDER).values_list("notice__purchaser")
    assert list(reminded) == [(waiting.pk,)]


def test_reminder_says_it_is_a_reminder(recall, speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    someone = purchaser(recall, product=speaker)
    start = timezone.now() - timedelta(days=31)
    notices_send(recall=recall, kind=NOTICE, now=start)
    mark_sent(someone)
    notices_send(recall=recall, kind=REMINDER)
    someone.refresh_from_db()
    assert deliver(email_id=someone.last_email_id)[0] == Outcome.SENT
    message = mail.outbox[0]
    assert message.subject.startswith("Reminder")
    assert "have not received a claim" in message.body
    assert "List-Unsubscribe" in message.extra_headers


def test_beat_task_writes_the_due_reminders_for_open_recalls_and_publishes(speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    someone = purchaser(speaker.recall)
    start = timezone.now() - timedelta(days=31)
    notices_send(recall=speaker.recall, kind=NOTICE, now=start)
    mark_sent(someone)
    # when: beat's task runs twice
    from recallcases.notices.tasks import notices_send_due

    assert notices_send_due() == 2  # one reminder written, and published
    assert notices_tick() == (0, 0)
    # then: the reminder went out, once
    assert [message.to for message in mail.outbox] == [[someone.email]]
    # and: a closed recall's purchasers are not reminded
    speaker.recall.is_open = False
    speaker.recall.save()
    later = purchaser(speaker.recall)
    notices_send(recall=speaker.recall, kind=NOTICE, now=start)
    mark_sent(later)
    assert notices_tick() == (0, 0)


def test_send_command_writes_notices_then_reminders(speaker, settings):
    settings.NOTICE_REMINDER_DAYS = 30
    purchaser(speaker.recall)
    out = io.StringIO()
    call_command("notices_send", speaker.recall.slug, stdout=out)
    assert "1 notices written" in out.getvalue()
    call_command("notices_send", speaker.recall.slug, "--reminders", stdout=out)
    assert "Nothing to send" in out.getvalue()


def test_list_unsubscribe_header_stays_one_line_whatever_the_url_length(speaker, settings):
    # given: a long site address, as in production (Python folds headers over 78 characters)
    settings.SITE_URL = "https://recalls.a-rather-long-company-domain.example.com"
    someone = purchaser(speaker.recall)
    notices_send(recall=speaker.recall, kind=NOTICE)
    someone.refresh_from_db()
    deliver(email_id=someone.notice_email_id)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"]
    # when: the message is written out as the SMTP backend writes it
    raw = mail.outbox[0].message(policy=email.policy.SMTP).as_bytes()
    # then: the URL is on one line, as it is, not in RFC 2047 encoded words mail clients ignore
    assert f"\r\nList-Unsubscribe: {link}\r\n".encode() in raw
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == link
    assert len(link) > 100
