"""Status links expire after the claim ends, and staff can revoke them and send a new one.

The audit found that a claim's private links never expired and could not be revoked: a link
forwarded, left in a shared mailbox or read over a shoulder opened the claim for good.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recallcases.audit.models import AuditAction, AuditEntry
from recallcases.claims.models import Claim, ClaimLink, ClaimStatus
from recallcases.claims.services import claim_link_for
from recallcases.claims.transitions import SYSTEM, claim_transition
from recallcases.notifications.models import OutboundEmail
from recallcases.notifications.services import Outcome, deliver
from recallcases.workspace.roles import FULFILMENT, RECALL_MANAGER, REVIEWER
from tests.conftest import member_of
from tests.factories import OutboundEmailFactory, add_photo, claim_with_link

pytestmark = pytest.mark.django_db

S = ClaimStatus
SITE = "http://127.0.0.1:8000"


def status_url(token: str, language: str = "en") -> str:
    return f"/{language}/status/{token}/"


def sent_link(email: OutboundEmail) -> str:
    """Send `email` and return the path of the status link it carries."""
    before = len(mail.outbox)
    assert deliver(email_id=email.pk)[0] == Outcome.SENT
    body = mail.outbox[before].body
    return next(word for word in body.split() if "/status/" in word).removeprefix(SITE)


def staff(role: str) -> Client:
    client = Client()
    client.force_login(member_of(role))
    return client


def renew(client: Client, claim: Claim):
    return client.post(reverse("workspace:claim_links_renew", args=[claim.reference]))


def ended(claim: Claim, status: str, *, days_ago: float, monkeypatch) -> Claim:
    """Move `claim` to `status` as if it happened `days_ago` days ago (the event's time)."""
    then = timezone.now() - timedelta(days=days_ago)
    with monkeypatch.context() as moved:
        moved.setattr(timezone, "now", lambda: then)
        return claim_transition(claim_id=claim.pk, to_status=status, actor=SYSTEM, note="Done.")


def closed(claim: Claim, *, days_ago: float, monkeypatch) -> Claim:
    for status in (S.VERIFIED, S.REPLACEMENT_APPROVED, S.REPLACEMENT_SHIPPED):
        claim_transition(claim_id=claim.pk, to_status=status, actor=SYSTEM)
    for status in (S.DISPOSAL_SUBMITTED, S.DISPOSAL_CONFIRMED):
        claim_transition(claim_id=claim.pk, to_status=status, actor=SYSTEM)
    return ended(claim, S.CLOSED, days_ago=days_ago, monkeypatch=monkeypatch)


# --- Revocation ----------------------------------------------------------------------------------


def test_leaked_links_after_revocation_refused_and_new_link_opens_the_claim(client, speaker):
    # given: a claim, the link shown when it was filed and the link of an email already sent
    claim, filed_token = claim_with_link(product=speaker)
    claim_transition(claim_id=claim.pk, to_status=S.VERIFIED, actor=SYSTEM)
    emailed = sent_link(OutboundEmail.objects.get(claim=claim))
    assert client.get(status_url(filed_token)).status_code == 200
    assert client.get(emailed).status_code == 200

    # when: a recall manager revokes the links and sends a new one
    response = renew(staff(RECALL_MANAGER), claim)

    # then: the old links show the closed-link page, never the claim
    assert response.status_code == 302
    for old in (status_url(filed_token), emailed, status_url(filed_token, "fr-ca")):
        page = Client().get(old)
        assert page.status_code == 410
        text = page.content.decode()
        assert claim.reference not in text and claim.serial not in text
        assert "This link no longer works" in text or "Ce lien ne fonctionne plus" in text
        assert speaker.recall.support_phone in text
    # and the consumer is emailed a new link, which opens the claim
    renewed = OutboundEmail.objects.get(claim=claim, kind="link_renewed")
    assert renewed.recipient == ""  # to the claim's own address
    new_link = sent_link(renewed)
    message = mail.outbox[-1]
    assert message.to == [claim.email]
    assert message.subject == f"A new link to your claim {claim.reference}"
    assert "earlier emails no longer work" in message.body
    page = Client().get(new_link)
    assert page.status_code == 200 and claim.reference in page.content.decode()
    # the links are kept, marked revoked, for the record
    claim.refresh_from_db()
    assert claim.access_token_revoked_at is not None
    assert ClaimLink.objects.filter(claim=claim, revoked_at__isnull=False).count() == 1
    assert ClaimLink.objects.filter(claim=claim, revoked_at__isnull=True).count() == 1


def test_revocation_audited_and_shown_in_the_claims_timeline(speaker):
    claim, _token = claim_with_link(product=speaker)
    claim_link_for(claim=claim, key="<sent-before@recallcases.test>")
    manager = staff(RECALL_MANAGER)

    renew(manager, claim)

    entry = AuditEntry.objects.get(action=AuditAction.LINKS_RENEW)
    assert (entry.claim_id, entry.actor.username) == (claim.pk, "recall-manager")
    assert entry.after == {"links_revoked": 2}  # the filed link and the emailed one
    page = manager.get(reverse("workspace:claim", args=[claim.reference])).content.decode()
    assert 'data-action="links.renew"' in page
    assert "Status links revoked and a new one emailed" in page
    assert "New link to the claim" in page  # the email, in the claim's list of emails


def test_email_written_before_revocation_and_sent_after_carries_a_dead_link(speaker):
    # given: an email written before the revocation but not sent yet (its link not made yet)
    claim, _token = claim_with_link(product=speaker)
    pending = OutboundEmailFactory(claim=claim, kind="verified")

    # when
    renew(staff(RECALL_MANAGER), claim)

    # then: sent afterwards, its link does not open the claim; the new email's does
    assert Client().get(sent_link(pending)).status_code == 410
    renewed = OutboundEmail.objects.get(claim=claim, kind="link_renewed")
    assert Client().get(sent_link(renewed)).status_code == 200


def test_french_claim_gets_its_new_link_in_french(speaker):
    claim, _token = claim_with_link(product=speaker, language="fr-ca")
    renew(staff(RECALL_MANAGER), claim)
    link = sent_link(OutboundEmail.objects.get(claim=claim, kind="link_renewed"))
    assert link.startswith("/fr-ca/status/")
    assert mail.outbox[-1].subject == f"Un nouveau lien vers votre réclamation {claim.reference}"


def test_reviewer_revoking_links_refused(client, speaker):
    # given: a reviewer, who may not see whom the claim's emails go to
    claim, token = claim_with_link(product=speaker)
    reviewer = staff(REVIEWER)
    page = reviewer.get(reverse("workspace:claim", args=[claim.reference])).content.decode()
    assert "Revoke links and send a new one" not in page

    # when: a forged POST
    response = renew(reviewer, claim)

    # then: refused, and nothing changed
    assert response.status_code == 403
    assert client.get(status_url(token)).status_code == 200
    assert not OutboundEmail.objects.filter(claim=claim, kind="link_renewed").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.LINKS_RENEW).exists()


def test_fulfilment_sees_the_revoke_button(speaker):
    claim, _token = claim_with_link(product=speaker)
    page = staff(FULFILMENT).get(reverse("workspace:claim", args=[claim.reference]))
    assert "Revoke links and send a new one" in page.content.decode()


def test_revoking_links_of_anonymised_claim_refused(speaker):
    claim, _token = claim_with_link(product=speaker)
    Claim.objects.filter(pk=claim.pk).update(anonymised_at=timezone.now(), email="")
    manager = staff(RECALL_MANAGER)

    response = renew(manager, claim)

    assert response.status_code == 302
    assert "there is no one to write to" in manager.get(response.url).content.decode()
    assert not OutboundEmail.objects.filter(claim=claim, kind="link_renewed").exists()


# --- Expiry --------------------------------------------------------------------------------------


def test_link_of_claim_closed_91_days_ago_refused(client, speaker, monkeypatch):
    # given: a claim closed 91 days ago (links work 90 days after a claim ends, by default)
    claim, token = claim_with_link(product=speaker)
    closed(claim, days_ago=91, monkeypatch=monkeypatch)
    emailed = claim_link_for(claim=claim, key="<closing@recallcases.test>")

    # when / then: its links show that the claim is complete, and whom to contact; not the claim
    for link in (token, emailed):
        response = client.get(status_url(link))
        assert response.status_code == 410
        page = response.content.decode()
        assert "This claim is complete" in page
        assert speaker.recall.support_phone in page and speaker.recall.support_email in page
        assert claim.reference not in page and claim.serial not in page
        assert claim.disposal_code not in page
    # in French too
    page = client.get(status_url(token, "fr-ca")).content.decode()
    assert "Cette réclamation est terminée" in page
    # and the incident form reached from the link does not open on the claim either
    assert client.get(f"/en/status/{token}/incident/").status_code == 404


def test_link_of_claim_closed_89_days_ago_opens_it(client, speaker, monkeypatch):
    claim, token = claim_with_link(product=speaker)
    closed(claim, days_ago=89, monkeypatch=monkeypatch)

    response = client.get(status_url(token))

    assert response.status_code == 200
    assert claim.reference in response.content.decode()


def test_link_expiry_follows_the_setting(client, speaker, monkeypatch, settings):
    settings.STATUS_LINK_DAYS_AFTER_END = 30
    claim, token = claim_with_link(product=speaker)
    ended(claim, S.WITHDRAWN, days_ago=31, monkeypatch=monkeypatch)
    assert client.get(status_url(token)).status_code == 410
    settings.STATUS_LINK_DAYS_AFTER_END = 32
    assert client.get(status_url(token)).status_code == 200


def test_link_of_claim_rejected_long_ago_works_again_once_reopened(client, speaker, monkeypatch):
    # given: a claim rejected 200 days ago: its link is over
    claim, token = claim_with_link(product=speaker)
    ended(claim, S.REJECTED, days_ago=200, monkeypatch=monkeypatch)
    assert client.get(status_url(token)).status_code == 410
    # when: staff reopen it
    claim_transition(claim_id=claim.pk, to_status=S.SUBMITTED, actor=SYSTEM)
    # then: the link opens the claim again
    response = client.get(status_url(token))
    assert response.status_code == 200 and claim.reference in response.content.decode()


def test_expired_link_cannot_withdraw_or_upload(client, speaker, monkeypatch):
    claim, token = claim_with_link(product=speaker)
    ended(claim, S.WITHDRAWN, days_ago=120, monkeypatch=monkeypatch)
    version = Claim.objects.get(pk=claim.pk).version

    response = client.post(status_url(token), {"action": "withdraw", "version": version})

    assert response.status_code == 410
    assert Claim.objects.get(pk=claim.pk).version == version


def test_photos_seen_through_a_leaked_link_refused_after_revocation(speaker):
    # given: a stranger's browser that opened a leaked link and saw the claim's photo
    claim, token = claim_with_link(product=speaker)
    photo = add_photo(claim)
    url = reverse("claim_photo", args=[photo.pk, "image"])
    stranger = Client()
    assert stranger.get(status_url(token)).status_code == 200
    assert stranger.get(url).status_code == 200

    # when: staff revoke the links
    renew(staff(RECALL_MANAGER), claim)

    # then: that browser's session no longer shows the photo; the consumer's new link does
    assert stranger.get(url).status_code == 404
    consumer = Client()
    new_link = sent_link(OutboundEmail.objects.get(claim=claim, kind="link_renewed"))
    assert consumer.get(new_link).status_code == 200
    assert consumer.get(url).status_code == 200


def test_browser_that_opened_a_revoked_link_sees_photos_again_through_the_new_one(speaker):
    # given: the consumer's browser opened the claim and its photo, then staff revoked the links
    claim, token = claim_with_link(product=speaker)
    photo = add_photo(claim)
    url = reverse("claim_photo", args=[photo.pk, "image"])
    browser = Client()
    assert browser.get(status_url(token)).status_code == 200
    renew(staff(RECALL_MANAGER), claim)
    assert browser.get(url).status_code == 404
    # when: the same browser opens the new link it was emailed
    new_link = sent_link(OutboundEmail.objects.get(claim=claim, kind="link_renewed"))
    assert browser.get(new_link).status_code == 200
    # then: it sees the photo again, and the old link shows nothing
    assert browser.get(url).status_code == 200
    assert browser.get(status_url(token)).status_code == 410


def test_status_page_revisited_writes_no_session(speaker):
    from django.conf import settings
    from django.contrib.sessions.models import Session

    _claim, token = claim_with_link(product=speaker)
    browser = Client()
    first = browser.get(status_url(token))
    # What the photos need is a signed cookie: no session is made, read or written.
    assert "opened_claims" in first.cookies
    again = browser.get(status_url(token))
    assert "opened_claims" not in again.cookies
    assert settings.SESSION_COOKIE_NAME not in browser.cookies
    assert not Session.objects.exists()
