"""The staff sign-in policy in the admin, and the admin site held to the same second factor."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.contrib.auth.views import LoginView
from django.urls import reverse

from recallcases.audit.models import AuditAction
from recallcases.audit.selectors import group_permissions, user_roles
from recallcases.audit.services import audit_change_record
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


# Roles are given in the admin (a staff account's groups, own permissions and flags; a group's
# permissions): each save that changes one leaves an audit row with the values before and after.
# The admin saves the account, then its groups and permissions (save_related), in one transaction.
class _AuditedRoles:
    audit_action = ""

    def role_values(self, pk) -> dict:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        # Read from the database: `obj` already holds the form's new flags.
        request._roles_before = self.role_values(obj.pk) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        audit_change_record(
            actor=request.user,
            action=self.audit_action,
            subject=form.instance,
            before=getattr(request, "_roles_before", None),
            after=self.role_values(form.instance.pk),
        )


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(_AuditedRoles, UserAdmin):
    audit_action = AuditAction.USER_ROLES_CHANGE

    def role_values(self, pk) -> dict:
        return user_roles(user_id=pk)


@admin.register(Group)
class AuditedGroupAdmin(_AuditedRoles, GroupAdmin):
    audit_action = AuditAction.GROUP_PERMISSIONS_CHANGE

    def role_values(self, pk) -> dict:
        return group_permissions(group_id=pk)
