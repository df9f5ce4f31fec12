from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from recallcases.claims.models import Claim, ClaimEvent


class PersonalDetailsAdmin(admin.ModelAdmin):
    """A model admin that shows personal fields only to staff whose role may read them (ADR 0004).

    Hiding a field from the form is not enough: the list page answers lookups in its address
    (`?email__startswith=c`), and whether a row comes back tells one letter at a time. So for
    staff without `personal_permission` the personal fields are also refused as lookups (400),
    and never offered as a column, a sort order, a filter or a search field. `secret_fields` are
    refused as lookups to everyone.
    """

    personal_fields: tuple[str, ...] = ()
    # Not shown on the form (the workspace shows them to every role), but no lookups either.
    unsearchable_fields: tuple[str, ...] = ()
    secret_fields: tuple[str, ...] = ()
    personal_permission = ""

    def may_see_personal(self, request) -> bool:
        return request.user.has_perm(self.personal_permission)

    def hidden_fields(self, request) -> set[str]:
        """The fields no lookup, column, filter or search may use for this user."""
        hidden = set(self.secret_fields)
        if not self.may_see_personal(request):
            hidden |= {*self.personal_fields, *self.unsearchable_fields}
        return hidden

    def lookup_allowed(self, lookup, value, request):
        if lookup.split(LOOKUP_SEP)[0] in self.hidden_fields(request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_exclude(self, request, obj=None):
        exclude = [*(super().get_exclude(request, obj) or ()), *self.secret_fields]
        if not self.may_see_personal(request):
            exclude += self.personal_fields
        return exclude

    def _without_hidden(self, request, items):
        # Items are field names ("email", "^name", "recall__title"), (field, filter) pairs,
        # filter classes or callables; only the first two name a field.
        hidden = self.hidden_fields(request)

        def field_of(item) -> str:
            if isinstance(item, (list, tuple)):
                item = item[0]
            return item.lstrip("^=@").split(LOOKUP_SEP)[0] if isinstance(item, str) else ""

        return [item for item in items if field_of(item) not in hidden]

    def get_list_display(self, request):
        return self._without_hidden(request, super().get_list_display(request))

    def get_list_filter(self, request):
        return self._without_hidden(request, super().get_list_filter(request))

    def get_search_fields(self, request):
        return self._without_hidden(request, super().get_search_fields(request))

    def get_sortable_by(self, request):
        return self._without_hidden(request, super().get_sortable_by(request))


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    fields = ["created_at", "from_status", "to_status", "actor_kind", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(PersonalDetailsAdmin):
    """Read-only: a claim's status changes only through its transitions (the staff workspace)."""

    list_display = ["reference", "status", "recall", "product", "country", "created_at"]
    list_filter = ["status", "recall", "country"]
    search_fields = ["reference", "serial"]
    list_select_related = ["recall", "product"]
    inlines = [ClaimEventInline]
    # Contact, shipping and purchase details: only for staff whose role ships (ADR 0004). The
    # order number and the purchase date are personal too: the order is the key to the buyer's
    # record at the retailer.
    personal_fields = (
        "name",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "postal_code",
        "purchase_date",
        "order_number",
    )
    # Every role sees the city (a reviewer judges where a claim comes from), but looking claims
    # up by city and the normalised address (`address_key`) narrows them down to a household.
    unsearchable_fields = ("city", "address_key")
    # The hash of the status link's token: not shown, not looked up by anyone.
    secret_fields = ("access_token_hash",)
    personal_permission = "claims.view_shipping_details"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
