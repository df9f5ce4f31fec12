"""Staff sessions: the idle clock that signs staff out, and the second-factor clearance.

`StaffClearanceMiddleware` tells any page (the consumer's photo view among them) whether the
signed-in user has passed the second factor where it is due, without that page importing the
workspace: `request.staff_cleared()` is true for such a user, false for everyone else.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils.translation import ngettext

from recallcases.workspace.permissions import second_factor_step

# Session key of the staff member's last request (Unix seconds).
LAST_ACTIVITY = "workspace_last_activity"
# Rewriting the session on every request costs a database write; a minute's precision is enough.
ACTIVITY_RESOLUTION_SECONDS = 60


@receiver(user_logged_in)
def start_idle_clock(sender, request, user, **kwargs):
    """A staff session's idle clock starts at sign-in (the sign-in writes the session anyway)."""
    if user.is_staff and hasattr(request, "session"):
        request.session[LAST_ACTIVITY] = int(time.time())


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_MINUTES without a request; leave other sessions alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only sessions of signed-in users are looked at: no cookie, nothing to read or write.
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and SESSION_KEY in request.session
            and request.user.is_staff
        ):
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            minutes = settings.STAFF_IDLE_MINUTES
            if last is not None and now - last > minutes * 60:
                logout(request)
                messages.warning(
                    request,
                    ngettext(
                        "Signed out after %(minutes)d minute without activity. "
                        "Sign in again to continue.",
                        "Signed out after %(minutes)d minutes without activity. "
                        "Sign in again to continue.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
                return redirect_to_login(request.get_full_path(), "workspace:login")
            if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


class StaffClearanceMiddleware:
    """Give every request `staff_cleared()`: signed in, and past the second factor where due."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def staff_cleared() -> bool:
            user = request.user
            return bool(user.is_authenticated and user.is_active and user.is_staff) and (
                second_factor_step(request) is None
            )

        request.staff_cleared = staff_cleared
        return self.get_response(request)
