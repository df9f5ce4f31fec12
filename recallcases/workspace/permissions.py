"""Who may open a staff page: signed-in staff, past the second factor when it is due, holding
the permission the page needs."""

from functools import wraps

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.workspace.models import StaffPolicy

TWO_FACTOR_VERIFY = "workspace:two_factor_verify"
TWO_FACTOR_SETUP = "workspace:two_factor_setup"


def _policy_and_authenticator(request, user) -> tuple[StaffPolicy, bool]:
    """The policy, and whether the user has a confirmed authenticator: one query for both."""
    confirmed = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    policy = (
        StaffPolicy.objects.annotate(user_has_authenticator=Exists(confirmed))
        .filter(pk=StaffPolicy.SINGLETON_PK)
        .first()
    )
    if policy is None:  # not created yet: current() creates it
        request._staff_policy = StaffPolicy.current()
        return request._staff_policy, confirmed.exists()
    request._staff_policy = policy
    return policy, policy.user_has_authenticator


def is_verified(user) -> bool:
    """Whether this session passed the second factor (django-otp's OTPMiddleware tells)."""
    # Right after a password sign-in request.user is the bare user, not yet wrapped: unverified.
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def second_factor_step(request) -> str | None:
    """The URL name of the second-factor page this signed-in user must pass first, or None.

    Someone with a confirmed authenticator always verifies it after the password; with the
    policy on, someone without one sets it up. An unconfirmed device counts for nothing.
    """
    user = request.user
    if is_verified(user):
        return None
    cached = getattr(request, "_second_factor_step", None)
    if cached is not None and cached[0] == user.pk:
        return cached[1]
    policy, has_authenticator = _policy_and_authenticator(request, user)
    if has_authenticator:
        step = TWO_FACTOR_VERIFY
    elif policy.require_two_factor:
        step = TWO_FACTOR_SETUP
    else:
        step = None
    request._second_factor_step = (user.pk, step)
    return step


def redirect_with_next(url_name: str, next_url: str) -> HttpResponseRedirect:
    """Send the browser to a sign-in step, to come back to next_url afterwards."""
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")


def _refuse_unless_staff(request):
    """A response for a visitor who is not signed-in active staff, or None for staff."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "workspace:login")
    if not user.is_active or not user.is_staff:
        raise PermissionDenied
    return None


def signed_in_staff(view):
    """Decorate a sign-in step: signed-in active staff only, second factor not required yet."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return _refuse_unless_staff(request) or view(request, *args, **kwargs)

    return wrapper


def staff_view(*permissions: str):
    """Decorate a workspace view: sign-in required, staff only, and every permission named.

    Anonymous visitors (consumers included) go to the staff sign-in page; staff whose second
    factor is due go to it first; signed-in accounts without the right get 403, whatever the
    method, so a forged POST is refused too. What the page answers is never cached: staff pages
    show personal data, and a shared or back-button cache must not keep it.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if refused := _refuse_unless_staff(request):
                return refused
            if step := second_factor_step(request):
                return redirect_with_next(step, request.get_full_path())
            if permissions and not request.user.has_perms(permissions):
                raise PermissionDenied
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_store=True)
            return response

        wrapper.staff_permissions = permissions
        return wrapper

    return decorator
