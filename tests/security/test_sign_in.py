"""Staff sign-in: guesses spread over many addresses are locked out, and the second factor is
required unless an administrator relaxes it (and then every staff page says so)."""

import ipaddress

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.core.client_address import client_address
from recallcases.workspace.models import StaffPolicy
from tests.factories import staff_user
from tests.workspace.test_security import code_for

pytestmark = pytest.mark.django_db

LOGIN = "/workspace/login/"
PASSWORD = "a-long-test-password"
ONE_SLASH_64 = ipaddress.ip_network("2001:db8:77:1::/64")


def sign_in(client, username, password, address):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_guesses_from_30_addresses_of_one_ipv6_64_locked_out(client, settings):
    # given: a staff member, and 30 addresses of one IPv6 /64 (one subscriber picks them at will)
    user = staff_user("claims.view_claim", username="rita")
    addresses = [str(ONE_SLASH_64[n * 7919 + 1]) for n in range(30)]
    # when: a wrong password from each of them
    statuses = [
        sign_in(client, user.username, "wrong", address).status_code for address in addresses
    ]
    # then: the /64 is locked once it reached the limit, and the right password is refused too
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert set(statuses[limit - 1 :]) == {429}
    assert sign_in(client, user.username, PASSWORD, str(ONE_SLASH_64[99])).status_code == 429
    assert SESSION_KEY not in client.session


def test_guesses_spread_over_many_ipv4_addresses_lock_the_username(client, settings):
    # given: a botnet, each address staying under the per-address limit
    user = staff_user("claims.view_claim", username="rita")
    colleague = staff_user("claims.view_claim", username="colin")
    limit = settings.LOCKOUT_USERNAME_FAILURE_LIMIT
    statuses = [
        sign_in(client, user.username, "wrong", f"198.51.100.{n}").status_code
        for n in range(1, limit + 1)
    ]
    # then: the username is locked from everywhere once the username's limit is reached
    assert statuses[:-1] == [200] * (limit - 1)
    assert statuses[-1] == 429
    assert sign_in(client, user.username, PASSWORD, "203.0.113.250").status_code == 429
    # and other staff still sign in from those addresses
    assert sign_in(client, colleague.username, PASSWORD, "198.51.100.1").status_code == 302


def test_username_limit_is_higher_than_the_address_limit(settings):
    # one address's typos must never lock a colleague out from everywhere
    assert settings.LOCKOUT_USERNAME_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT


def test_client_address_counts_an_ipv6_client_by_its_64(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    def address(remote, **meta):
        return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **meta))

    assert address("2001:db8:77:1:aaaa:bbbb:cccc:dddd") == "2001:db8:77:1::"
    assert address("2001:db8:77:1::1") == address("2001:db8:77:1:ffff::9")
    assert address("2001:db8:77:2::1") == "2001:db8:77:2::"
    assert address("203.0.113.9") == "203.0.113.9"
    assert address("::ffff:203.0.113.9") == "203.0.113.9"
    # behind one proxy of ours, the address it saw, grouped the same way
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = {"HTTP_X_FORWARDED_FOR": "2001:db8:99:5::abcd"}
    assert address("10.0.0.2", **forwarded) == "2001:db8:99:5::"


def test_second_factor_is_required_by_default():
    # a site whose policy was never set requires it
    StaffPolicy.objects.all().delete()
    assert StaffPolicy.current().require_two_factor


def test_migration_turns_the_second_factor_on_where_the_old_default_left_it_off():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "recallcases.workspace.migrations.0006_two_factor_required_by_default"
    )
    StaffPolicy.objects.update_or_create(pk=1, defaults={"require_two_factor": False})
    migration.require_two_factor(apps, None)
    assert StaffPolicy.current().require_two_factor


def test_staff_without_an_authenticator_must_set_one_up_by_default(client):
    StaffPolicy.objects.all().delete()
    user = staff_user("claims.view_claim", username="rita")
    response = sign_in(client, user.username, PASSWORD, "203.0.113.10")
    assert response.url == "/workspace/two-factor/setup/?next=%2Fworkspace%2F"
    assert client.get("/workspace/").status_code == 302


def test_relaxed_policy_puts_a_warning_on_every_staff_page(client):
    # given: an administrator relaxed the policy
    policy = StaffPolicy.current()
    policy.require_two_factor = False
    policy.save()
    client.force_login(staff_user("claims.view_claim", username="rita"))
    # then
    page = client.get("/workspace/").content.decode()
    assert 'id="two-factor-relaxed"' in page
    assert "Two-factor sign-in is not required" in page


def test_no_warning_where_the_second_factor_is_required(client):
    # given: the policy as shipped, and a staff member who passed the second factor
    policy = StaffPolicy.current()
    policy.require_two_factor = True
    policy.save()
    user = staff_user("claims.view_claim", username="rita")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    client.post("/workspace/two-factor/", {"code": code_for(device), "next": "/workspace/"})
    # then
    response = client.get("/workspace/")
    assert response.status_code == 200
    assert 'id="two-factor-relaxed"' not in response.content.decode()
