"""Reading the audit trail, and the values role changes are recorded with."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from recallcases.audit.models import AuditEntry

# What a staff account's role is made of: who it is allowed to act as.
USER_ROLE_FLAGS = ("is_active", "is_staff", "is_superuser")


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    recall_id: int | None = None


def audit_entries(*, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Audit rows matching the filters, newest first, with their actors (one query a page)."""
    entries = AuditEntry.objects.select_related("actor").order_by("-created_at", "-id")
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.recall_id:
        entries = entries.filter(recall_id=filters.recall_id)
    return entries


def audit_entries_of_claim(*, claim_id: int) -> list[AuditEntry]:
    """The audit rows about one claim, oldest first, in one query."""
    return list(
        AuditEntry.objects.filter(claim_id=claim_id)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def _permission_names(permissions) -> list[str]:
    return sorted(
        f"{app_label}.{codename}"
        for app_label, codename in permissions.values_list("content_type__app_label", "codename")
    )


def user_roles(*, user_id: int) -> dict:
    """A staff account's groups, own permissions and flags, as the audit trail records them."""
    user = get_user_model().objects.get(pk=user_id)
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": _permission_names(user.user_permissions),
        **{flag: getattr(user, flag) for flag in USER_ROLE_FLAGS},
    }


def group_permissions(*, group_id: int) -> dict:
    """A role's (group's) name and permissions, as the audit trail records them."""
    group = Group.objects.get(pk=group_id)
    return {"name": group.name, "permissions": _permission_names(group.permissions)}
