"""The staff pages of direct notice, and the public unsubscribe page."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from recallcases.notices.models import Purchaser
from recallcases.notices.tokens import unsubscribe_token
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.workspace.roles import (
    ADMINISTRATOR,
    FULFILMENT,
    RECALL_MANAGER,
    REVIEWER,
    roles_sync,
)
from tests.factories import ClaimFactory
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db


def purchaser(recall, **fields) -> Purchaser:
    number = Purchaser.objects.count() + 1
    defaults = {
        "name": f"Purchaser {number}",
        "email": f"purchaser{number}@example.ca",
        "order_number": f"112-{number:04d}",
        "country": "CA",
    }
    return Purchaser.objects.create(recall=recall, **{**defaults, **fields})


def signed_in(role: str) -> Client:
    """A browser signed in as a member of `role`, with the rights roles.ROLES gives it."""
    user = member_of(role, username=f"{role.lower().replace(' ', '-')}-notices")
    client = Client()
    client.force_login(user)
    return client


def pages(recall) -> list[str]:
    return [
        reverse("workspace:notices"),
        reverse("workspace:notices_recall", args=[recall.slug]),
        reverse("workspace:notices_import", args=[recall.slug]),
        reverse("workspace:notices_bounces", args=[recall.slug]),
    ]


# --- Who may -------------------------------------------------------------------------------------


def test_roles_sync_gives_recall_managers_the_notice_rights(roles):
    # given: the roles, and not even this app's permissions (as before its first migrate)
    Permission.objects.filter(content_type__app_label="notices").delete()
    # when
    roles_sync()
    # then: recall managers, and no other role, hold the three rights
    held = {
        group: set(
            Group.objects.get(name=group)
            .permissions.filter(content_type__app_label="notices")
            .values_list("codename", flat=True)
        )
        for group in (RECALL_MANAGER, REVIEWER, FULFILMENT, ADMINISTRATOR)
    }
    assert held == {
        RECALL_MANAGER: {"view_purchaser", "add_purchaser", "send_notice"},
        REVIEWER: set(),
        FULFILMENT: set(),
        ADMINISTRATOR: set(),
    }


@pytest.mark.parametrize("role", [REVIEWER, FULFILMENT, ADMINISTRATOR])
def test_notice_pages_are_refused_to_other_roles(speaker, role):
    client = signed_in(role)
    for url in pages(speaker.recall):
        assert client.get(url).status_code == 403, url
    assert "Direct notice" not in client.get(reverse("workspace:failed_emails")).content.decode()


def test_notice_pages_send_anonymous_visitors_to_sign_in(client, speaker):
    for url in pages(speaker.recall):
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (
            302,
            "/workspace/login/",
        )


def test_notice_pages_open_to_recall_managers(speaker):
    client = signed_in(RECALL_MANAGER)
    for url in pages(speaker.recall):
        assert client.get(url).status_code == 200, url
    index = client.get(reverse("workspace:notices")).content.decode()
    assert speaker.recall.title_en in index
    assert reverse("workspace:notices") in index  # the link in the navigation


def test_send_button_writes_notices_for_recall_managers_only(speaker):
    recall = speaker.recall
    for _ in range(3):
        purchaser(recall)
    url = reverse("workspace:notices_send", args=[recall.slug])
    # when: a reviewer forges the POST, then a recall manager presses the button
    assert signed_in(REVIEWER).post(url).status_code == 403
    assert not OutboundEmail.objects.exists()
    manager = signed_in(RECALL_MANAGER)
    assert manager.get(url).status_code == 405
    response = manager.post(url, follow=True)
    # then: one notice per purchaser, and the page says so
    assert OutboundEmail.objects.filter(kind="recall_notice").count() == 3
    assert response.redirect_chain[-1][0] == reverse("workspace:notices_recall", args=[recall.slug])
    assert "The notice is on its way to 3 purchasers" in response.content.decode()
    # and: pressing again writes nothing more
    assert "has been notified" in manager.post(url, follow=True).content.decode()
    assert OutboundEmail.objects.count() == 3


def test_a_long_list_is_sent_a_batch_per_press(speaker, monkeypatch):
    from recallcases.workspace.views import notices as pages_module

    monkeypatch.setattr(pages_module, "SEND_BATCH", 2)
    for _ in range(3):
        purchaser(speaker.recall)
    client = signed_in(RECALL_MANAGER)
    recall_page = reverse("workspace:notices_recall", args=[speaker.recall.slug])
    send = reverse("workspace:notices_send", args=[speaker.recall.slug])
    assert "Send the notice to the next 2 of 3 not notified yet" in (
        client.get(recall_page).content.decode()
    )
    client.post(send)
    assert OutboundEmail.objects.count() == 2
    assert "Send the notice to 1 purchaser not notified yet" in (
        client.get(recall_page).content.decode()
    )
    client.post(send)
    assert OutboundEmail.objects.count() == 3


# --- The recall's page ---------------------------------------------------------------------------


def _purchasers_in_every_state(speaker, count: int) -> None:
    """`count` purchasers of each kind: notified and sent, failed, claimed, bounced, not yet."""
    from django.utils import timezone

    from recallcases.notices.services.sending import (
        notices_send,
    )

    recall = speaker.recall
    for _ in range(count):
        purchaser(recall, product=speaker)
        purchaser(recall, bounced_at=timezone.now())
        claimed = purchaser(recall)
        ClaimFactory(product=speaker, email=claimed.email)
        ClaimFactory(product=speaker)  # an owner not on the list
    notices_send(recall=recall, kind="recall_notice", limit=count)
    OutboundEmail.objects.filter(pk=OutboundEmail.objects.first().pk).update(
        state=EmailState.FAILED
    )
    for _ in range(count):
        purchaser(recall, unsubscribed_at=timezone.now())


def test_recall_page_counts_and_lists_in_queries_that_do_not_grow(speaker):
    client = signed_in(RECALL_MANAGER)
    url = reverse("workspace:notices_recall", args=[speaker.recall.slug])
    client.get(url)  # the session and the sign-in policy, read once
    # given: a few purchasers in every state
    _purchasers_in_every_state(speaker, 2)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    # then: the counts are right
    for name, value in {
        "purchasers": 8,
        "notified": 2,
        "failed": 1,
        "sent": 0,
        "pending": 1,
        "bounced": 2,
        "unsubscribed": 2,
        "claimed": 2,
        "claims_not_on_list": 2,
    }.items():
        assert f'data-count="{name}"' in page
        section = page.split(f'data-count="{name}"')[1].split("</dd>")[0]
        assert section.endswith(f">{value}"), (name, section)
    # when: the list is ten times longer
    _purchasers_in_every_state(speaker, 20)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    # then: the page costs the same number of queries
    assert page.count("data-purchaser=") == 88
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_recall_page_filters_by_state_and_finds_by_email(speaker):
    client = signed_in(RECALL_MANAGER)
    url = reverse("workspace:notices_recall", args=[speaker.recall.slug])
    waiting = purchaser(speaker.recall, email="waiting@example.com")
    claimed = purchaser(speaker.recall, email="claimed@example.com", serial="A3102DMX10000077")
    ClaimFactory(product=speaker, serial="A3102DMX10000077")
    only_claimed = client.get(url, {"state": "claimed"}).content.decode()
    assert f'data-purchaser="{claimed.pk}"' in only_claimed
    assert f'data-purchaser="{waiting.pk}"' not in only_claimed
    found = client.get(url, {"q": "WAITING@example.com"}).content.decode()
    assert f'data-purchaser="{waiting.pk}"' in found
    assert f'data-purchaser="{claimed.pk}"' not in found


def test_recall_page_pages_a_long_list(speaker):
    Purchaser.objects.bulk_create(
        Purchaser(recall=speaker.recall, email=f"p{n}@example.com", country="US")
        for n in range(105)
    )
    client = signed_in(RECALL_MANAGER)
    url = reverse("workspace:notices_recall", args=[speaker.recall.slug])
    assert client.get(url).content.decode().count("data-purchaser=") == 100
    assert client.get(url, {"page": 2}).content.decode().count("data-purchaser=") == 5


# --- Uploads -------------------------------------------------------------------------------------


def test_import_page_adds_the_list_and_shows_the_report(speaker):
    url = reverse("workspace:notices_import", args=[speaker.recall.slug])
    csv = (
        "\ufeffname,email,order_number,model,serial,country,language\n"
        "Camille Roy,camille@example.ca,1,A3102,,CA,fr-ca\n"
        "Bad Row,nope,2,A3102,,CA,en\n"
    ).encode()

    def upload():
        return {"file": SimpleUploadedFile("list.csv", csv, "text/csv")}

    assert signed_in(REVIEWER).post(url, upload()).status_code == 403
    page = signed_in(RECALL_MANAGER).post(url, upload()).content.decode()
    assert "2 rows read: 1 purchasers added, 0 already on the list, 1 invalid." in page
    assert 'data-outcome="invalid"' in page
    assert list(Purchaser.objects.values_list("email", "language")) == [
        ("camille@example.ca", "fr-ca")
    ]


def test_import_page_reads_a_file_that_is_not_utf8_as_latin1(speaker):
    # An older spreadsheet's "CSV" is Latin-1: read as such (it was refused before).
    url = reverse("workspace:notices_import", args=[speaker.recall.slug])
    latin1 = "name,email,country\nRené,rene@example.ca,CA\n".encode("latin-1")
    response = signed_in(RECALL_MANAGER).post(
        url, {"file": SimpleUploadedFile("list.csv", latin1, "text/csv")}
    )
    assert "1 rows read: 1 purchasers added" in response.content.decode()
    assert list(Purchaser.objects.values_list("name", flat=True)) == ["René"]


def test_bounce_page_records_the_providers_export(speaker):
    hard = purchaser(speaker.recall, email="hard@example.com")
    url = reverse("workspace:notices_bounces", args=[speaker.recall.slug])
    export = b"recipient,bounce_type,reason\nhard@example.com,Permanent,550 unknown user\n"
    page = (
        signed_in(RECALL_MANAGER)
        .post(url, {"file": SimpleUploadedFile("bounces.csv", export, "text/csv")})
        .content.decode()
    )
    assert "1 rows read: 1 purchasers marked bounced" in page
    hard.refresh_from_db()
    assert (bool(hard.bounced_at), hard.bounce_reason) == (True, "550 unknown user")


# --- Unsubscribing -------------------------------------------------------------------------------


def test_unsubscribe_link_asks_first_and_the_post_unsubscribes(client, speaker):
    someone = purchaser(speaker.recall, email="camille.roy@example.ca")
    url = f"/en/unsubscribe/{unsubscribe_token(purchaser_id=someone.pk)}/"
    # when: the link is opened (by the purchaser, or a mail scanner following every link)
    page = client.get(url)
    # then: nothing changes; the page asks, naming the address only in part
    someone.refresh_from_db()
    assert someone.unsubscribed_at is None
    content = page.content.decode()
    assert page.status_code == 200 and 'id="unsubscribe-form"' in content
    assert "c•••@example.ca" in content and "camille.roy" not in content
    assert page["Cache-Control"].startswith("max-age=0")
    # when: they confirm
    done = client.post(url)
    # then: they are unsubscribed, and the page says so
    someone.refresh_from_db()
    assert someone.unsubscribed_at is not None
    assert 'id="unsubscribed"' in done.content.decode()
    assert 'id="unsubscribed"' in client.get(url).content.decode()


def test_unsubscribe_page_in_french(client, recall):
    someone = purchaser(recall, language="fr-ca")
    page = client.get(f"/fr-ca/unsubscribe/{unsubscribe_token(purchaser_id=someone.pk)}/")
    content = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="fr-ca">' in content and escape(recall.title_fr) in content
    assert "800-988-7973" in content  # the recall's support contact


def test_mail_clients_one_click_post_unsubscribes_without_a_csrf_token(speaker):
    someone = purchaser(speaker.recall)
    url = f"/en/unsubscribe/{unsubscribe_token(purchaser_id=someone.pk)}/"
    # when: the mail client posts as RFC 8058 says, with no cookie or CSRF token
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    # then: it is done
    assert response.status_code == 200
    someone.refresh_from_db()
    assert someone.unsubscribed_at is not None


def test_unsubscribe_link_must_be_one_we_signed(client, speaker):
    someone = purchaser(speaker.recall)
    token = unsubscribe_token(purchaser_id=someone.pk)
    forged = [
        f"{someone.pk}",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        signing.Signer().sign(str(someone.pk)),  # signed, but not for unsubscribing
        unsubscribe_token(purchaser_id=someone.pk + 1000),  # nobody
    ]
    for bad in forged:
        assert client.post(f"/en/unsubscribe/{bad}/").status_code == 404, bad
    someone.refresh_from_db()
    assert someone.unsubscribed_at is None
