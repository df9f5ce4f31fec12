from django.contrib import admin

from recallcases.recalls.models import Product, Recall, RegistryEntry


class ProductInline(admin.StackedInline):
    model = Product
    extra = 0


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["title_en", "slug", "announced_on", "units_affected", "is_open"]
    list_filter = ["is_open"]
    search_fields = ["title_en", "slug", "company"]
    inlines = [ProductInline]
    # The retention schedule (docs/retention.md), together at the end of the page.
    RETENTION_FIELDS = [
        "claim_retention_months",
        "claim_photo_retention_months",
        "purchaser_retention_months",
        "email_retention_months",
        "incident_retention_months",
    ]

    def get_fieldsets(self, request, obj=None):
        fields = [f for f in self.get_fields(request, obj) if f not in self.RETENTION_FIELDS]
        return [
            (None, {"fields": fields}),
            (
                "Retention schedule",
                {
                    "fields": self.RETENTION_FIELDS,
                    "description": "How long personal data is kept, in months; the daily "
                    "retention job then removes it (docs/retention.md). The privacy notices "
                    "promise six years (72) for claims and incidents.",
                },
            ),
        ]


@admin.register(RegistryEntry)
class RegistryEntryAdmin(admin.ModelAdmin):
    """The registry is changed by imports (registry_import); here it is read and searched."""

    list_display = ["__str__", "product", "recall", "size", "is_demo"]
    list_filter = ["recall", "product", "is_demo"]
    search_fields = ["prefix"]
    list_select_related = ["product", "recall"]

    def has_add_permission(self, request):
        # Entries come in through registry_import, which refuses overlaps; the admin would not.
        return False

    def has_change_permission(self, request, obj=None):
        return False
