"""The sign-in lockout's count (AXES_HANDLER): per username and address, and per username.

django-axes counts each combination of AXES_LOCKOUT_PARAMETERS against one AXES_FAILURE_LIMIT. A
username-only combination would then lock a colleague out after five typos from anywhere, and a
username-and-address one alone lets guesses spread over many addresses go on forever (30 wrong
passwords from 30 addresses of one IPv6 /64 were all answered). So the pair keeps its small limit
(AXES_FAILURE_LIMIT) and this handler adds a larger one for the username across every address
(LOCKOUT_USERNAME_FAILURE_LIMIT), within the same cool-off.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class StaffLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Failures as axes compares them with AXES_FAILURE_LIMIT: the pair's, or the username's
        scaled so that reaching LOCKOUT_USERNAME_FAILURE_LIMIT reaches AXES_FAILURE_LIMIT."""
        pair = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if not username:
            return pair
        attempts = AccessAttempt.objects.filter(username=username)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        total = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        limit = get_failure_limit(request, credentials)
        return max(pair, total * limit // settings.LOCKOUT_USERNAME_FAILURE_LIMIT)
