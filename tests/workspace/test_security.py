"""Staff sign-in: lockout after wrong passwords, the second factor, and the idle timeout."""

import datetime
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.consumer.views import SUBMITTED_CLAIM
from recallcases.workspace.middleware import LAST_ACTIVITY
from recallcases.workspace.models import StaffPolicy
from tests.factories import staff_user

pytestmark = pytest.mark.django_db

LOGIN = "/workspace/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "a-long-test-password"
HERE = "203.0.113.10"
ELSEWHERE = "198.51.100.20"


def sign_in(client, username, password, *, url=LOGIN, address=HERE, **meta):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **meta
    )


def fail_until_locked(client, username, *, url=LOGIN, address=HERE, **meta):
    """Post wrong passwords up to the limit; return the responses."""
    return [
        sign_in(client, username, "wrong-password", url=url, address=address, **meta)
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def reviewer():
    return staff_user("claims.view_claim", username="rita")


def code_for(device: TOTPDevice) -> str:
    """The code the staff member's authenticator app shows now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def waited(device: TOTPDevice) -> None:
    """As if the wait django-otp imposes after a wrong code had passed."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp")
        - datetime.timedelta(minutes=1)
    )


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def require_two_factor():
    policy = StaffPolicy.current()
    policy.require_two_factor = True
    policy.save()


# --- Lockout -------------------------------------------------------------------------------------


def test_lockout_after_wrong_passwords_for_that_username_from_that_address(client):
    # given
    user = reviewer()
    # when
    responses = fail_until_locked(client, user.username)
    # then: the attempts before the limit are ordinary refusals, the last one locks
    assert [r.status_code for r in responses[:-1]] == [200] * (len(responses) - 1)
    assert responses[-1].status_code == 429
    # the right password is refused too while locked
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    assert not signed_in(client)


def test_lockout_leaves_other_addresses_and_other_usernames_alone(client):
    user = reviewer()
    colleague = staff_user("claims.view_claim", username="colin")
    fail_until_locked(client, user.username)
    # another address, same username: signs in
    response = sign_in(client, user.username, PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302
    assert signed_in(client)
    client.logout()
    # same address, another username: signs in
    assert sign_in(client, colleague.username, PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(client, settings):
    user = reviewer()
    fail_until_locked(client, user.username)
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    # when: the cool-off has passed since the last failure
    later = settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - later
        )
    # then
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_successful_sign_in_forgets_earlier_typos(client, settings):
    user = reviewer()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, user.username, "wrong-password")
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.logout()
    # one more typo does not lock: the count started again
    assert sign_in(client, user.username, "wrong-password").status_code == 200


def test_forged_forwarded_for_does_not_dodge_the_lockout(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    user = reviewer()
    # given: every wrong password claims to come from another address
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user.username, "wrong-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    # then: the connection's address is locked whatever the header says
    response = sign_in(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HERE}


def test_forged_forwarded_for_cannot_frame_another_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    user = reviewer()
    fail_until_locked(client, user.username, address=ELSEWHERE, HTTP_X_FORWARDED_FOR=HERE)
    assert sign_in(client, user.username, PASSWORD, address=HERE).status_code == 302


def test_lockout_counts_the_address_our_proxy_saw(client, settings):
    # given: one proxy of ours in front, which appends the client's address
    settings.TRUSTED_PROXY_COUNT = 1
    user = reviewer()
    proxy = "10.0.0.2"
    fail_until_locked(client, user.username, address=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HERE}")
    # then: that client is locked, another client behind the same proxy is not
    locked = sign_in(client, user.username, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=HERE)
    assert locked.status_code == 429
    other = sign_in(client, user.username, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert other.status_code == 302


def test_lockout_page_is_readable_with_status_429(client, settings):
    user = reviewer()
    response = fail_until_locked(client, user.username)[-1]
    assert response.status_code == 429
    assert "workspace/locked_out.html" in [t.name for t in response.templates]
    page = response.content.decode()
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"paused for {minutes} minutes" in page
    assert "contact an administrator" in page
    assert response["Retry-After"] == str(minutes * 60)


def test_admin_sign_in_is_locked_out_too(client):
    user = staff_user(username="ada")
    user.is_superuser = True
    user.save()
    responses = fail_until_locked(client, user.username, url=ADMIN_LOGIN)
    assert responses[-1].status_code == 429
    assert sign_in(client, user.username, PASSWORD, url=ADMIN_LOGIN).status_code == 429
    assert not signed_in(client)
    # and the lockout is the same one the workspace sign-in sees
    assert sign_in(client, user.username, PASSWORD).status_code == 429


# --- Second factor -------------------------------------------------------------------------------


def test_policy_on_sends_staff_without_an_authenticator_to_set_one_up(client):
    require_two_factor()
    client.force_login(reviewer())
    response = client.get("/workspace/")
    assert response.status_code == 302
    assert response.url == "/workspace/two-factor/setup/?next=%2Fworkspace%2F"


def test_policy_on_sends_staff_with_an_authenticator_to_verify(client):
    require_two_factor()
    user = reviewer()
    confirmed_device(user)
    client.force_login(user)
    response = client.get("/workspace/")
    assert response.status_code == 302
    assert response.url == "/workspace/two-factor/?next=%2Fworkspace%2F"


def test_policy_off_and_no_authenticator_needs_no_code(client):
    user = reviewer()
    # an unconfirmed device (setup begun, never finished) counts for nothing
    TOTPDevice.objects.create(user=user, name="phone", confirmed=False)
    client.force_login(user)
    assert client.get("/workspace/").status_code == 200


def test_authenticator_must_be_verified_even_with_the_policy_off(client):
    assert not StaffPolicy.current().require_two_factor
    user = reviewer()
    confirmed_device(user)
    # the password sign-in goes on to the code
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response.url == "/workspace/two-factor/?next=%2Fworkspace%2F"
    # and staff pages wait for it
    assert client.get("/workspace/").url.startswith("/workspace/two-factor/")


def test_wrong_code_is_refused_with_a_message(client):
    require_two_factor()
    user = reviewer()
    device = confirmed_device(user)
    client.force_login(user)
    wrong = f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"
    response = client.post("/workspace/two-factor/", {"code": wrong, "next": "/workspace/"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/workspace/").status_code == 302


def test_right_code_lets_staff_in(client):
    require_two_factor()
    user = reviewer()
    device = confirmed_device(user)
    client.force_login(user)
    session_before = client.session.session_key
    response = client.post(
        "/workspace/two-factor/", {"code": code_for(device), "next": "/workspace/"}
    )
    assert response.status_code == 302
    assert response.url == "/workspace/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != session_before  # a new session key for the new privilege
    assert client.get("/workspace/").status_code == 200


def test_verify_refuses_to_send_staff_to_another_site(client):
    user = reviewer()
    device = confirmed_device(user)
    client.force_login(user)
    response = client.post(
        "/workspace/two-factor/", {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response.url == "/workspace/"


def test_setup_shows_a_qr_code_and_key_then_confirms_the_device(client):
    require_two_factor()
    user = reviewer()
    client.force_login(user)
    # when: the setup page is opened
    response = client.get("/workspace/two-factor/setup/?next=/workspace/")
    # then: an inline SVG QR code and the key as text, for an unconfirmed device
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and "<script" not in page.split("</main>")[0]
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert response.context["secret"].replace(" ", "") in device.config_url
    assert "otpauth://totp/" in device.config_url
    # a wrong code does not confirm it
    response = client.post("/workspace/two-factor/setup/", {"code": "000000x"})
    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    waited(device)
    # when: the app's code is entered
    response = client.post(
        "/workspace/two-factor/setup/", {"code": code_for(device), "next": "/workspace/"}
    )
    # then: confirmed, and this session counts as verified
    assert response.status_code == 302
    assert response.url == "/workspace/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/workspace/").status_code == 200


def test_setup_cannot_replace_an_authenticator_with_only_the_password(client):
    user = reviewer()
    confirmed_device(user)
    client.force_login(user)
    response = client.get("/workspace/two-factor/setup/")
    assert response.status_code == 302
    assert response.url.startswith("/workspace/two-factor/?")
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_two_factor_pages_need_a_signed_in_staff_member(client):
    assert client.get("/workspace/two-factor/").url.startswith(LOGIN)
    assert client.get("/workspace/two-factor/setup/").url.startswith(LOGIN)
    consumer = get_user_model().objects.create_user(username="not-staff", password=PASSWORD)
    client.force_login(consumer)
    assert client.get("/workspace/two-factor/setup/").status_code == 403


def superuser():
    user = staff_user(username="ada")
    user.is_superuser = True
    user.save()
    return user


def test_admin_needs_the_second_factor_when_the_policy_requires_it(client):
    require_two_factor()
    user = superuser()
    device = confirmed_device(user)
    client.force_login(user)
    # the admin does not open on the password alone: its sign-in passes on to the code
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/workspace/two-factor/?next=%2Fadmin%2F"
    assert client.get("/admin/auth/user/").status_code == 302
    # with the code, it opens
    response = client.post("/workspace/two-factor/", {"code": code_for(device), "next": "/admin/"})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


def test_admin_sign_in_goes_on_to_set_up_the_second_factor(client):
    require_two_factor()
    user = superuser()
    response = sign_in(
        client, user.username, PASSWORD, url=ADMIN_LOGIN + "?next=/admin/", follow=True
    )
    assert response.redirect_chain[-1][0] == "/workspace/two-factor/setup/?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_admin_opens_on_the_password_when_the_policy_is_off(client):
    client.force_login(superuser())
    assert client.get("/admin/").status_code == 200


def test_administrator_can_change_the_policy_in_the_admin(client, administrator):
    client.force_login(administrator)
    response = client.post(
        f"/admin/workspace/staffpolicy/{StaffPolicy.current().pk}/change/",
        {"require_two_factor": "on"},
    )
    assert response.status_code == 302
    assert StaffPolicy.current().require_two_factor


def test_staff_policy_is_one_row():
    StaffPolicy(require_two_factor=False).save()
    StaffPolicy().save()
    assert StaffPolicy.objects.count() == 1
    # the last save, with the default (the second factor required), is the policy
    assert StaffPolicy.current().require_two_factor


def test_staff_page_reads_the_policy_once(client):
    require_two_factor()
    client.force_login(reviewer())
    with CaptureQueriesContext(connection) as queries:
        client.get("/workspace/")
    policy_reads = [q for q in queries.captured_queries if "workspace_staffpolicy" in q["sql"]]
    assert len(policy_reads) == 1


# --- Idle timeout --------------------------------------------------------------------------------


def set_last_activity(client, seconds_ago: int):
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - seconds_ago
    session.save()


def test_idle_staff_session_is_signed_out(client, settings):
    settings.STAFF_IDLE_MINUTES = 30
    client.force_login(reviewer())
    assert client.get("/workspace/").status_code == 200
    # when: no request for longer than the limit
    set_last_activity(client, settings.STAFF_IDLE_MINUTES * 60 + 60)
    response = client.get("/workspace/")
    # then: signed out, sent to the sign-in page, told why
    assert response.status_code == 302
    assert response.url == "/workspace/login/?next=/workspace/"
    assert not signed_in(client)
    page = client.get(response.url).content.decode()
    assert "Signed out after 30 minutes without activity" in page


def test_active_staff_session_stays_signed_in(client, settings):
    client.force_login(reviewer())
    set_last_activity(client, settings.STAFF_IDLE_MINUTES * 60 - 60)
    assert client.get("/workspace/").status_code == 200
    assert signed_in(client)
    # and the request counts as activity
    assert time.time() - client.session[LAST_ACTIVITY] < 5


def test_idle_timeout_follows_the_setting(client, settings):
    settings.STAFF_IDLE_MINUTES = 5
    client.force_login(reviewer())
    set_last_activity(client, 6 * 60)
    assert client.get("/workspace/").status_code == 302
    assert not signed_in(client)


def test_idle_timeout_covers_the_admin(client, settings):
    client.force_login(superuser())
    set_last_activity(client, settings.STAFF_IDLE_MINUTES * 60 + 60)
    response = client.get("/admin/")
    assert response.url == "/workspace/login/?next=/admin/"
    assert not signed_in(client)


def test_consumer_session_is_untouched(client, recall):
    # given: a consumer's session (the claim they just filed), long idle
    session = client.session
    session[SUBMITTED_CLAIM] = {"reference": "RC-1"}
    session.save()
    key = session.session_key
    # when
    response = client.get(f"/en/{recall.slug}/")
    # then: same session, same data, nothing of the staff timeout in it
    assert response.status_code == 200
    assert client.session.session_key == key
    assert client.session[SUBMITTED_CLAIM] == {"reference": "RC-1"}
    assert LAST_ACTIVITY not in client.session


def test_codes_cannot_be_tried_in_quick_succession(client):
    user = reviewer()
    device = confirmed_device(user)
    client.force_login(user)
    client.post("/workspace/two-factor/", {"code": "000000"})
    # even the right code waits until django-otp's pause after a wrong one has passed
    response = client.post("/workspace/two-factor/", {"code": code_for(device)})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    waited(device)
    assert client.post("/workspace/two-factor/", {"code": code_for(device)}).status_code == 302
