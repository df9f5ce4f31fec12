"""The admin site: for Administrators only, held to the second factor, its role changes audited.

Also the staff sign-in policy, and staff accounts' authenticators (removing one is audited).
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.urls import reverse
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.audit.models import AuditAction
from recallcases.audit.selectors import group_permissions, user_roles
from recallcases.audit.services import audit_change_record, audit_record
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


# Who may open the admin at all: the Administrator role (its permission to set the staff sign-in
# policy marks it; roles.ROLES gives it to no other role) and superusers. Other staff work in the
# workspace, which shows each role only what it needs; the admin's lists and lookups were not built
# to hide anything (a reviewer could read a consumer's email one letter at a time through them).
ADMIN_SITE_PERMISSION = "workspace.change_staffpolicy"

# The admin site is Django's default `admin.site` (recallcases/urls.py). Rather than replace it,
# its two entry points are wrapped: a password-only session is not enough to see admin pages when
# the second factor is due, and its sign-in sends such a session on to the workspace's step.
_site_has_permission = admin.site.has_permission
_site_login = admin.site.login


def may_use_admin(user) -> bool:
    """Whether this (active staff) account's role runs the admin: Administrators, superusers."""
    return user.is_superuser or user.has_perm(ADMIN_SITE_PERMISSION)


def _has_permission(request):
    return (
        _site_has_permission(request)
        and may_use_admin(request.user)
        and second_factor_step(request) is None
    )


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


def _guards_superusers(request, obj) -> bool:
    """Whether `obj` (a staff account) is out of this user's reach: a superuser's account, to
    anyone who is not one. Changing its password or roles would make the changer a superuser."""
    return obj is not None and obj.is_superuser and not request.user.is_superuser


@admin.register(User)
class AuditedUserAdmin(_AuditedRoles, UserAdmin):
    """Staff accounts. A role is given by its group: per-user permissions are never edited here
    (they would undo the split of ROLES), and only a superuser makes or changes a superuser."""

    audit_action = AuditAction.USER_ROLES_CHANGE

    def role_values(self, pk) -> dict:
        return user_roles(user_id=pk)

    def get_readonly_fields(self, request, obj=None):
        # Read-only fields are left out of the form: a posted value for them is ignored.
        readonly = [*super().get_readonly_fields(request, obj), "user_permissions"]
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _guards_superusers(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _guards_superusers(request, obj)


@admin.register(Group)
class AuditedGroupAdmin(_AuditedRoles, GroupAdmin):
    audit_action = AuditAction.GROUP_PERMISSIONS_CHANGE

    def role_values(self, pk) -> dict:
        return group_permissions(group_id=pk)


# Authenticators: an Administrator removes the one of a colleague who lost their phone (the
# colleague then sets up a new one at their next sign-in). Each removal leaves an audit row; a
# superuser's authenticator is removed only by a superuser.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(TOTPDeviceAdmin):
    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _guards_superusers(
            request, obj.user if obj is not None else None
        )

    def delete_model(self, request, obj):
        with transaction.atomic():
            _authenticator_delete_audit(actor=request.user, device=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for device in queryset.select_related("user"):
                _authenticator_delete_audit(actor=request.user, device=device)
            super().delete_queryset(request, queryset)


def _authenticator_delete_audit(*, actor, device: TOTPDevice) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.AUTHENTICATOR_DELETE,
        subject=device,
        subject_label=device.user.get_username(),
        before={"authenticator": device.name, "confirmed": device.confirmed},
    )
