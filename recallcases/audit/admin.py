from django.contrib import admin

from recallcases.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services that act, never by hand."""

    list_display = ["created_at", "action", "actor_kind", "actor", "subject_label", "recall_id"]
    list_filter = ["action", "actor_kind"]
    search_fields = ["subject_label", "subject_id"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
