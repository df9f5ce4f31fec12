"""The staff sign-in policy in the admin, and the admin site held to the same second factor."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import reverse

from recallcases.workspace.models import StaffPolicy
from recallcases.workspace.permissions import redirect_with_next, second_factor_step


@admin.register(StaffPolicy)
class StaffPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "require_two_factor"]

    def has_add_permission(self, request):
        # One row: StaffPolicy.current() (and migration 0002) create it.
        return not StaffPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# The admin site is Django's default `admin.site` (recallcases/urls.py). Rather than replace it,
# its two entry points are wrapped: a password-only session is not enough to see admin pages when
# the second factor is due, and its sign-in sends such a session on to the workspace's step.
_site_has_permission = admin.site.has_permission
_site_login = admin.site.login


def _has_permission(request):
    return _site_has_permission(request) and second_factor_step(request) is None


def _login(request, extra_context=None):
    response = _site_login(request, extra_context)
    # Signed in (just now, or earlier) with the password, but the second factor is still due.
    step = second_factor_step(request) if _site_has_permission(request) else None
    if step:
        next_url = LoginView().get_redirect_url(request) or reverse("admin:index")
        return redirect_with_next(step, next_url)
    return response


admin.site.has_permission = _has_permission
admin.site.login = _login
