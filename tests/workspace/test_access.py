"""Who gets in where: every staff address, as every kind of visitor, against a table of who may.

The addresses come from the URL resolver, so a page added to the workspace is walked too; the
expectations come from the tables below, written by hand (never read from the views), so a new
page fails here until someone writes down who may open it.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.claims.models import Claim, ClaimStatus
from recallcases.core.photo_pipeline import process_photo
from recallcases.incidents.services import IncidentDetails, incident_report
from recallcases.workspace.roles import (
    ADMINISTRATOR,
    CALL_CENTRE_AGENT,
    FULFILMENT,
    RECALL_MANAGER,
    REVIEWER,
)
from tests.factories import ClaimFactory, OutboundEmailFactory, add_photo, claim_with_link
from tests.images import jpeg_bytes
from tests.workspace.conftest import member_of

pytestmark = pytest.mark.django_db

S = ClaimStatus

# The visitors, in the order of the tables' columns.
ANONYMOUS = "anonymous"
CONSUMER = "consumer holding a status link"
NON_STAFF = "signed-in non-staff account"
# A recall manager with an authenticator app who typed the password but not yet the code.
PASSWORD_ONLY = "recall manager before the second factor"
VISITORS = (
    ANONYMOUS,
    CONSUMER,
    NON_STAFF,
    REVIEWER,
    FULFILMENT,
    RECALL_MANAGER,
    ADMINISTRATOR,
    PASSWORD_ONLY,
)

# What a visitor gets. Redirects count only when they bring the visitor back to the page asked for.
OK = "200, the page"
NO = "403 refused"
GONE = "404 not found"
METHOD = "405 method not allowed"
LOGIN = "302 to the staff sign-in, then back"
ADMIN_LOGIN = "302 to the admin sign-in, then back"
OTP = "302 to the second factor, then back"
# Forged POSTs: whether the claim changed, or was left as it was on a bounce back to its page.
MOVED = "the claim moved on"
KEPT = "302 back to the claim, unchanged"

# Outside the table: the steps of signing in, which must open before one is fully signed in.
NOT_STAFF_PAGES = {
    "workspace:login",
    "workspace:logout",
    "workspace:two_factor_verify",
    "workspace:two_factor_setup",
}
SIGN_IN_STEPS = ("/workspace/login/", "/workspace/logout/", "/workspace/two-factor/")

# Pages outside the workspace namespace that belong in the walk.
OWN_PHOTO = "claim photo (image) of the claim whose link the consumer opened"
OWN_THUMBNAIL = "claim photo (thumbnail) of the claim whose link the consumer opened"
OTHER_PHOTO = "claim photo (image) of another claim"
ADMIN_INDEX = "admin:index"

# GET: who opens each page. Columns: anonymous, consumer, non-staff, Reviewer, Fulfilment,
# Recall manager, Administrator, recall manager before the second factor.
# - A POST-only page answers 405 only to those who may use it; others get what any page gives them.
# - Photos: to anyone who may not see a photo it does not exist (404), signed in or not: an
#   address that answers 403 would confirm that a claim photo is there.
# - The admin lets in Administrators only (and superusers); other roles work in the workspace.
# fmt: off
GET_TABLE = {
    "workspace:queue":             (LOGIN, LOGIN, NO, OK,     OK,     OK,     OK,     OTP),
    "workspace:claim":             (LOGIN, LOGIN, NO, OK,     OK,     OK,     OK,     OTP),
    "workspace:claim_act":         (LOGIN, LOGIN, NO, METHOD, METHOD, METHOD, METHOD, OTP),
    "workspace:claim_ship":        (LOGIN, LOGIN, NO, NO,     METHOD, METHOD, NO,     OTP),
    "workspace:claim_links_renew": (LOGIN, LOGIN, NO, NO,     METHOD, METHOD, NO,     OTP),
    "workspace:bulk_approve":      (LOGIN, LOGIN, NO, NO,     NO,     METHOD, NO,     OTP),
    "workspace:fulfilment":        (LOGIN, LOGIN, NO, NO,     OK,     OK,     NO,     OTP),
    "workspace:fulfilment_export": (LOGIN, LOGIN, NO, NO,     OK,     OK,     NO,     OTP),
    "workspace:fulfilment_import": (LOGIN, LOGIN, NO, NO,     OK,     OK,     NO,     OTP),
    "workspace:claim_remedy":      (LOGIN, LOGIN, NO, NO,     NO,     METHOD, NO,     OTP),
    "workspace:code_pools":        (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:remedy_codes":      (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:refunds":           (LOGIN, LOGIN, NO, NO,     OK,     OK,     NO,     OTP),
    "workspace:refunds_export":    (LOGIN, LOGIN, NO, NO,     OK,     OK,     NO,     OTP),
    "workspace:refunds_import":    (LOGIN, LOGIN, NO, NO,     OK,     OK,     NO,     OTP),
    "workspace:registry_import":   (LOGIN, LOGIN, NO, NO,     NO,     OK,     OK,     OTP),
    "workspace:failed_emails":     (LOGIN, LOGIN, NO, OK,     OK,     OK,     OK,     OTP),
    "workspace:email_retry":       (LOGIN, LOGIN, NO, METHOD, METHOD, METHOD, METHOD, OTP),
    "workspace:incidents":         (LOGIN, LOGIN, NO, OK,     NO,     OK,     NO,     OTP),
    "workspace:incidents_export":  (LOGIN, LOGIN, NO, OK,     NO,     OK,     NO,     OTP),
    "workspace:incident":          (LOGIN, LOGIN, NO, OK,     NO,     OK,     NO,     OTP),
    "workspace:incident_photo":    (LOGIN, LOGIN, NO, OK,     NO,     OK,     NO,     OTP),
    "workspace:incident_acknowledge":      (LOGIN, LOGIN, NO, NO, NO, METHOD, NO, OTP),
    "workspace:incident_regulator_notice": (LOGIN, LOGIN, NO, NO, NO, METHOD, NO, OTP),
    "workspace:incident_written_report":   (LOGIN, LOGIN, NO, NO, NO, METHOD, NO, OTP),
    "workspace:notices":           (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:notices_recall":    (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:notices_send":      (LOGIN, LOGIN, NO, NO,     NO,     METHOD, NO,     OTP),
    "workspace:notices_import":    (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:notices_bounces":   (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:reports":           (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:report_dashboard":  (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:report_cpsc":       (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:report_cpsc_csv":   (LOGIN, LOGIN, NO, NO,     NO,     OK,     NO,     OTP),
    "workspace:report_health_canada":     (LOGIN, LOGIN, NO, NO, NO, OK, NO, OTP),
    "workspace:report_health_canada_csv": (LOGIN, LOGIN, NO, NO, NO, OK, NO, OTP),
    "workspace:audit":             (LOGIN, LOGIN, NO, NO,     NO,     OK,     OK,     OTP),
    # Call-centre agents' pages: theirs alone (AGENT_TABLE below).
    "workspace:calls":             (LOGIN, LOGIN, NO, NO,     NO,     NO,     NO,     OTP),
    "workspace:calls_look_up":     (LOGIN, LOGIN, NO, NO,     NO,     NO,     NO,     OTP),
    "workspace:calls_serial_check": (LOGIN, LOGIN, NO, NO,    NO,     NO,     NO,     OTP),
    "workspace:calls_log":         (LOGIN, LOGIN, NO, NO,     NO,     NO,     NO,     OTP),
    "workspace:calls_claim":       (LOGIN, LOGIN, NO, NO,     NO,     NO,     NO,     OTP),
    "workspace:calls_claim_new":   (LOGIN, LOGIN, NO, NO,     NO,     NO,     NO,     OTP),
    OWN_PHOTO:                     (GONE,  OK,    GONE, OK,   GONE,   OK,     GONE,   GONE),
    OWN_THUMBNAIL:                 (GONE,  OK,    GONE, OK,   GONE,   OK,     GONE,   GONE),
    OTHER_PHOTO:                   (GONE,  GONE,  GONE, OK,   GONE,   OK,     GONE,   GONE),
    ADMIN_INDEX:                   (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN,
                                    ADMIN_LOGIN, ADMIN_LOGIN, OK, ADMIN_LOGIN),
}

# A forged POST (the test client sends no CSRF token and is not refused for it): who changes the
# claim. Same columns.
POST_TABLE = {
    "workspace:claim_act":         (LOGIN, LOGIN, NO, MOVED, KEPT,  MOVED, KEPT, OTP),
    "workspace:claim_ship":        (LOGIN, LOGIN, NO, NO,    MOVED, MOVED, NO,   OTP),
    "workspace:bulk_approve":      (LOGIN, LOGIN, NO, NO,    NO,    MOVED, NO,   OTP),
    "workspace:fulfilment_import": (LOGIN, LOGIN, NO, NO,    MOVED, MOVED, NO,   OTP),
}
# fmt: on


# --- The addresses -------------------------------------------------------------------------------


def workspace_patterns() -> list[tuple[str, str, list[str]]]:
    """(URL name, route, path parameters) of every address in the workspace namespace."""
    _prefix, resolver = get_resolver().namespace_dict["workspace"]
    found = []

    def walk(resolver, namespace, route, parameters):
        for entry in resolver.url_patterns:
            here = route + str(entry.pattern)
            params = [*parameters, *entry.pattern.regex.groupindex]
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
                walk(entry, inner, here, params)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if entry.name else f"(unnamed) {here}"
                found.append((name, here, params))

    walk(resolver, "workspace", "workspace/", [])
    return found


def address(name: str, **values) -> str:
    """The address of a workspace page, its path parameters taken from `values`."""
    parameters = next(params for found, _route, params in workspace_patterns() if found == name)
    return reverse(name, kwargs={p: values[p] for p in parameters})


def staff_pages(values: dict) -> dict[str, str]:
    """Every workspace address to check (sign-in steps left out), with its parameters filled."""
    pages = {}
    for name, route, parameters in workspace_patterns():
        if name in NOT_STAFF_PAGES:
            continue
        if name.startswith("(unnamed)"):
            pytest.fail(f"The staff page {route!r} has no URL name: name it to give it a row")
        unknown = [p for p in parameters if p not in values]
        if unknown:
            pytest.fail(
                f"The staff page {route!r} ({name}) takes {unknown}: give a real value for it "
                "in every_page() of tests/workspace/test_access.py"
            )
        pages[name] = reverse(name, kwargs={p: values[p] for p in parameters})
    return pages


# --- The world the visitors walk -----------------------------------------------------------------


@pytest.fixture
def world(speaker):
    """Claim A, whose status link the consumer opens, claim B, a photo each, and the staff."""
    # A recall that offers a gift card too: its pool of codes has a page.
    speaker.recall.remedies = [
        "replacement",
        {
            "remedy": "gift_card",
            "label_en": "$30 gift card",
            "label_fr": "Carte-cadeau de 30 $",
            "value": "30.00",
            "currency": "USD",
        },
    ]
    speaker.recall.save(update_fields=["remedies"])
    claim_a, token_a = claim_with_link(product=speaker)
    claim_b, _token_b = claim_with_link(product=speaker)
    photo_a, photo_b = add_photo(claim_a), add_photo(claim_b)
    users = {
        role: member_of(role) for role in (REVIEWER, FULFILMENT, RECALL_MANAGER, ADMINISTRATOR)
    }
    users[NON_STAFF] = get_user_model().objects.create_user(
        username="neighbour", password="a-long-test-password"
    )
    users[PASSWORD_ONLY] = member_of(RECALL_MANAGER, username="manager-with-authenticator")
    TOTPDevice.objects.create(user=users[PASSWORD_ONLY], name="phone", confirmed=True)
    # An incident reported from claim A, with a photo.
    incident = incident_report(
        recall=speaker.recall,
        claim=claim_a,
        details=IncidentDetails(
            kinds=frozenset({"smoke"}),
            description="Smoke while charging.",
            contact_name=claim_a.name,
            contact_email=claim_a.email,
            country=claim_a.country,
        ),
        photo=process_photo(jpeg_bytes()),
    )
    email_a = OutboundEmailFactory(claim=claim_a, state="failed")
    return {
        "email_a": email_a,
        "incident": incident,
        "claim_a": claim_a,
        "token_a": token_a,
        "claim_b": claim_b,
        "photo_a": photo_a,
        "photo_b": photo_b,
        "users": users,
    }


def visitor(kind: str, world, status_link: str) -> Client:
    """A browser of this kind of visitor; the consumer has opened `status_link`."""
    client = Client()
    if kind == CONSUMER:
        assert client.get(status_link).status_code == 200
    elif kind != ANONYMOUS:
        client.force_login(world["users"][kind])
    return client


def every_page(world) -> dict[str, str]:
    pages = staff_pages(
        {
            "reference": world["claim_a"].reference,
            "photo_id": world["photo_a"].pk,
            "email_id": world["email_a"].pk,
            "slug": world["claim_a"].recall.slug,
            "remedy": "gift_card",
            "incident_reference": world["incident"].reference,
            "month": f"{timezone.localdate():%Y-%m}",
        }
    )
    pages[OWN_PHOTO] = reverse("claim_photo", args=[world["photo_a"].pk, "image"])
    pages[OWN_THUMBNAIL] = reverse("claim_photo", args=[world["photo_a"].pk, "thumbnail"])
    pages[OTHER_PHOTO] = reverse("claim_photo", args=[world["photo_b"].pk, "image"])
    pages[ADMIN_INDEX] = reverse(ADMIN_INDEX)
    return pages


def outcome(response, asked: str, *, claim_page: str = "") -> str:
    """What the visitor got, in the words of the tables."""
    # (The test client has already closed the response as a WSGI server would; closing it again
    # would fire request_finished and close the test's own database connection.)
    if response.status_code != 302:
        return {200: OK, 403: NO, 404: GONE, 405: METHOD}.get(
            response.status_code, str(response.status_code)
        )
    location = urlsplit(response["Location"])
    back = parse_qs(location.query).get("next") == [asked]
    if location.path == claim_page:
        return KEPT
    if back and location.path == "/workspace/login/":
        return LOGIN
    if back and location.path == "/admin/login/":
        return ADMIN_LOGIN
    if back and location.path == "/workspace/two-factor/":
        return OTP
    return f"302 to {response['Location']}"


# --- The tests -----------------------------------------------------------------------------------


def test_every_staff_page_has_a_row_in_the_table(world):
    # given: the workspace's addresses as the resolver knows them now
    discovered = set(every_page(world))
    # then: each has a row (who may open it), and no row names a page that is gone
    unknown = sorted(discovered - set(GET_TABLE))
    assert not unknown, (
        f"New staff pages {unknown}: add each to GET_TABLE (and POST_TABLE if it takes a POST) "
        "in tests/workspace/test_access.py, saying who may open it"
    )
    assert not sorted(set(GET_TABLE) - discovered), "GET_TABLE names pages that no longer exist"
    assert set(POST_TABLE) <= discovered, "POST_TABLE names pages that no longer exist"


def test_only_the_sign_in_steps_are_left_out_of_the_table():
    # given: what the walk leaves out
    routes = {name: route for name, route, _params in workspace_patterns()}
    # then: it names sign-in steps that still exist, and nothing else
    for name in NOT_STAFF_PAGES:
        assert name in routes, f"{name} is left out of the walk but no longer exists"
        assert reverse(name).startswith(SIGN_IN_STEPS), f"{name} is not a sign-in step"


@pytest.mark.parametrize("kind", VISITORS)
def test_every_staff_page_opens_only_to_whom_the_table_says(world, kind):
    # given: a visitor of this kind
    client = visitor(kind, world, f"/en/status/{world['token_a']}/")
    column = VISITORS.index(kind)
    claim_a = world["claim_a"]
    events = claim_a.events.count()
    # when: they ask for every staff page
    wrong = []
    for name, url in every_page(world).items():
        if name not in GET_TABLE:
            wrong.append(f"{url} ({name}) has no row in GET_TABLE: say who may open it")
            continue
        expected = GET_TABLE[name][column]
        got = outcome(client.get(url), url)
        if got != expected:
            wrong.append(f"GET {url} ({name}): expected {expected}, got {got}")
    # then: each answers as the table says, and no GET changed the claim
    assert not wrong, f"As {kind}:\n" + "\n".join(wrong)
    claim_a.refresh_from_db()
    assert (claim_a.status, claim_a.events.count()) == (S.SUBMITTED, events)


def forged_post(name: str, claim: Claim) -> tuple[dict, str]:
    """A POST that would move `claim` one step on, and the status it would move it to."""
    if name == "workspace:claim_act":
        return {"to_status": S.VERIFIED, "version": claim.version, "note": ""}, S.VERIFIED
    if name == "workspace:claim_ship":
        return {
            "carrier": "Canada Post",
            "tracking_number": f"AB{claim.pk}",
            "remedy": "replacement",
            "version": claim.version,
        }, S.REPLACEMENT_SHIPPED
    if name == "workspace:bulk_approve":
        return {"claims": [claim.reference]}, S.REPLACEMENT_APPROVED
    if name == "workspace:fulfilment_import":
        csv = f"reference,carrier,tracking_number\n{claim.reference},Canada Post,CD{claim.pk}\n"
        upload = SimpleUploadedFile("tracking.csv", csv.encode(), "text/csv")
        return {"file": upload, "bad_rows": "all_or_nothing"}, S.REPLACEMENT_SHIPPED
    pytest.fail(f"No forged POST is written for {name}")


# The status each endpoint's POST starts from.
POST_FROM = {
    "workspace:claim_act": S.SUBMITTED,
    "workspace:claim_ship": S.REPLACEMENT_APPROVED,
    "workspace:bulk_approve": S.VERIFIED,
    "workspace:fulfilment_import": S.REPLACEMENT_APPROVED,
}


@pytest.mark.parametrize("name", sorted(POST_TABLE))
def test_forged_post_changes_the_claim_only_for_whom_the_table_says(world, speaker, name):
    wrong = []
    for column, kind in enumerate(VISITORS):
        # given: a claim this POST would move on, and a visitor who opened its status link
        claim, token = claim_with_link(product=speaker, status=POST_FROM[name])
        client = visitor(kind, world, f"/en/status/{token}/")
        claim.refresh_from_db()
        before = (claim.status, claim.events.count())
        data, moved_to = forged_post(name, claim)
        url = address(name, reference=claim.reference)
        # when: they post it
        response = client.post(url, data)
        # then: the claim moved on only for those the table names, and stayed put otherwise
        claim.refresh_from_db()
        after = (claim.status, claim.events.count())
        if after == (moved_to, before[1] + 1):
            got = MOVED
        elif after != before:
            got = f"the claim changed to {after}"
        else:
            got = outcome(response, url, claim_page=f"/workspace/claims/{claim.reference}/")
        if got != POST_TABLE[name][column]:
            wrong.append(f"As {kind}: expected {POST_TABLE[name][column]}, got {got}")
    assert not wrong, f"POST {name}:\n" + "\n".join(wrong)


def test_a_status_link_opens_only_its_own_claim(client, speaker):
    # given: two claims, and a consumer holding claim A's link
    claim_a, token_a = claim_with_link(product=speaker)
    claim_b, token_b = claim_with_link(product=speaker)
    photo_a, photo_b = add_photo(claim_a), add_photo(claim_b)
    # when: they open it
    page = client.get(f"/en/status/{token_a}/").content.decode()
    # then: they see claim A and nothing of claim B
    assert claim_a.reference in page
    assert claim_b.reference not in page and claim_b.serial not in page
    assert client.get(f"/photos/{photo_a.pk}/thumbnail/").status_code == 200
    assert client.get(f"/photos/{photo_b.pk}/thumbnail/").status_code == 404
    assert client.get(f"/photos/{photo_b.pk}/image/").status_code == 404
    # and: claim B's page opens with B's own token only, not its reference or a near miss
    assert client.get(f"/en/status/{claim_b.reference}/").status_code == 404
    near_miss = token_b[:-1] + ("A" if token_b[-1] != "A" else "B")
    assert client.get(f"/en/status/{near_miss}/").status_code == 404
    assert client.get(f"/workspace/claims/{claim_b.reference}/").status_code == 302
    # and: opening B's own link is what lets this browser see B's photo
    assert claim_b.reference in client.get(f"/en/status/{token_b}/").content.decode()
    assert client.get(f"/photos/{photo_b.pk}/image/").status_code == 200


def test_the_second_factor_opens_to_staff_who_typed_only_their_password(world):
    # given: the second-factor page, and three visitors short of a full sign-in
    page = reverse("workspace:two_factor_verify")
    password_only = visitor(PASSWORD_ONLY, world, "")
    # then: the staff member past the password gets the code form; others do not
    response = password_only.get(page)
    assert response.status_code == 200
    assert "Code from your authenticator app" in response.content.decode()
    assert outcome(Client().get(page), page) == LOGIN
    assert outcome(visitor(NON_STAFF, world, "").get(page), page) == NO


def test_signing_in_at_the_sign_in_page_opens_the_queue(client, reviewer):
    # given: a staff member who opens the sign-in page itself (after signing out, say)
    assert client.get("/workspace/login/").status_code == 200
    # when: they sign in
    response = client.post(
        "/workspace/login/",
        {"username": reviewer.username, "password": "a-long-test-password"},
    )
    # then: they land on the queue, not on a page that does not exist
    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("role", [REVIEWER, ADMINISTRATOR])
def test_the_admin_shows_no_consumer_details_to_staff_without_shipping_rights(speaker, role):
    # given: a claim, and a staff member whose workspace hides names and addresses
    claim = ClaimFactory(
        product=speaker,
        name="Dominique Gagnon",
        email="dominique.gagnon@example.ca",
        phone="418-555-0123",
        address_line1="77 rue des Jardins",
    )
    client = Client()
    client.force_login(member_of(role))
    assert (
        "Dominique Gagnon"
        not in client.get(f"/workspace/claims/{claim.reference}/").content.decode()
    )
    # when: they open the same claim in the Django admin
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    page = response.content.decode()
    # then: the admin does not show them what the workspace hides
    for detail in ("Dominique Gagnon", "dominique.gagnon@example.ca", "418-555-0123", "77 rue des"):
        assert detail not in page, f"{role} reads {detail!r} in the admin ({response.status_code})"


# A call-centre agent, page by page: their own pages, and nothing else; no photo at all (404, as to
# anyone who may not see one). Kept apart from GET_TABLE's columns so that a new page needs a row
# here too.
# fmt: off
AGENT_TABLE = {
    "workspace:calls": OK,
    "workspace:calls_look_up": METHOD,
    "workspace:calls_serial_check": METHOD,
    "workspace:calls_log": METHOD,
    "workspace:calls_claim": OK,
    "workspace:calls_claim_new": OK,
    OWN_PHOTO: GONE,
    OWN_THUMBNAIL: GONE,
    OTHER_PHOTO: GONE,
    ADMIN_INDEX: ADMIN_LOGIN,
}
# fmt: on


def test_a_call_centre_agent_opens_only_their_own_pages(world):
    # given: a call-centre agent
    client = Client()
    client.force_login(member_of(CALL_CENTRE_AGENT))
    # when: they ask for every staff page (and every photo)
    wrong = []
    for name, url in every_page(world).items():
        expected = AGENT_TABLE.get(name, NO)
        got = outcome(client.get(url), url)
        if got != expected:
            wrong.append(f"GET {url} ({name}): expected {expected}, got {got}")
    # then: only their pages open; the queue, claims' staff pages, reports and photos do not
    assert not wrong, "As a call-centre agent:\n" + "\n".join(wrong)
