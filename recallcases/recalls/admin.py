import hashlib

from django import forms
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.html import format_html

from recallcases.core.photo_pipeline import PhotoRejected, process_photo
from recallcases.recalls.models import PROOF_ITEMS_MAX, Product, ProofItem, Recall, RegistryEntry


class PictureForm(forms.ModelForm):
    """A recall's pictures are checked by the photo pipeline, as consumers' photos are, and
    stored as what it re-encoded (no metadata), named by their content."""

    PICTURE_FIELDS: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        for name in self.PICTURE_FIELDS:
            upload = self.files.get(self.add_prefix(name))
            if not upload or name in self.errors:
                continue
            try:
                processed = process_photo(upload)
            except PhotoRejected as rejected:
                self.add_error(name, str(rejected))
                continue
            digest = hashlib.sha256(processed.image).hexdigest()[:32]
            data[name] = ContentFile(processed.image, name=f"{digest}.jpg")
        return data


class ProductForm(PictureForm):
    PICTURE_FIELDS = ("label_picture",)

    class Meta:
        model = Product
        fields = "__all__"  # noqa: DJ007 - the admin edits every field of a recall


class ProofItemForm(PictureForm):
    PICTURE_FIELDS = ("example_picture",)

    class Meta:
        model = ProofItem
        fields = "__all__"  # noqa: DJ007 - the admin edits every field of a recall


class ProductInline(admin.StackedInline):
    model = Product
    form = ProductForm
    extra = 0


class ProofItemInline(admin.StackedInline):
    """The photos a claim needs (docs/recall-file.md, "proof_items")."""

    model = ProofItem
    form = ProofItemForm
    extra = 0
    max_num = PROOF_ITEMS_MAX


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["title_en", "slug", "announced_on", "units_affected", "is_open"]
    list_filter = ["is_open"]
    search_fields = ["title_en", "slug", "company"]
    inlines = [ProductInline, ProofItemInline]
    readonly_fields = ["consumer_preview"]
    # The retention schedule (docs/retention.md), together at the end of the page.
    RETENTION_FIELDS = [
        "claim_retention_months",
        "claim_photo_retention_months",
        "purchaser_retention_months",
        "email_retention_months",
        "incident_retention_months",
    ]

    @admin.display(description="Consumer pages")
    def consumer_preview(self, obj):
        """Links to the recall's page and claim form as consumers will see them, open or not."""
        if obj is None or obj.pk is None:
            return "Save the recall first."
        url = reverse("consumer:recall_preview", kwargs={"slug": obj.slug})
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" id="consumer-preview">Preview consumer '
            'page</a> · <a href="{}?page=claim" target="_blank" rel="noopener">Preview claim '
            "form</a>",
            url,
            url,
        )

    def get_fieldsets(self, request, obj=None):
        fields = [
            f
            for f in self.get_fields(request, obj)
            if f not in self.RETENTION_FIELDS and f != "consumer_preview"
        ]
        return [
            (None, {"fields": ["consumer_preview", *fields]}),
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
