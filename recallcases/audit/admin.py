from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recallcases.audit.models import AuditAction, AuditEntry


class ActionFilter(admin.SimpleListFilter):
    """Filter by action, named in words (the field holds codes, not database choices)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services that act, never by hand."""

    list_display = [
        "created_at",
        "get_action_display",
        "actor_kind",
        "actor",
        "subject_label",
        "recall_id",
    ]
    list_filter = [ActionFilter, "actor_kind"]
    search_fields = ["subject_label", "subject_id"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
