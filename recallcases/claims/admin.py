from django.contrib import admin

from recallcases.claims.models import Claim, ClaimEvent


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    fields = ["created_at", "from_status", "to_status", "actor_kind", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Read-only: a claim's status changes only through its transitions (the staff workspace)."""

    list_display = ["reference", "status", "recall", "product", "country", "created_at"]
    list_filter = ["status", "recall", "country"]
    search_fields = ["reference", "serial"]
    list_select_related = ["recall", "product"]
    exclude = ["access_token_hash"]
    inlines = [ClaimEventInline]
    # Contact and shipping details: only for staff whose role needs them (ADR 0004).
    PERSONAL_FIELDS = [
        "name",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "postal_code",
        "purchase_date",
        "order_number",
    ]

    def get_exclude(self, request, obj=None):
        if request.user.has_perm("claims.view_shipping_details"):
            return self.exclude
        return [*self.exclude, *self.PERSONAL_FIELDS]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
