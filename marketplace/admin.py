from django.contrib import admin

from marketplace.models import Category, FollowUp, Household, Listing


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ko", "name_en", "usual_kind", "parent")
    search_fields = ("code", "name_ko", "name_en")
    list_filter = ("usual_kind",)


class ReadOnlyStateAdmin(admin.ModelAdmin):
    """States change only through the services (with permission checks and the
    audit log), so the admin shows these rows without letting anyone edit them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Listing)
class ListingAdmin(ReadOnlyStateAdmin):
    list_display = (
        "title",
        "region",
        "kind",
        "category",
        "state",
        "quantity",
        "quantity_held",
        "quantity_fulfilled",
    )
    list_filter = ("state", "kind")
    search_fields = ("title",)
    list_select_related = ("region", "category")


@admin.register(Household)
class HouseholdAdmin(ReadOnlyStateAdmin):
    # Personal data: administrators see the count and the dong, not codes or notes.
    list_display = ("pk", "dong", "size", "status")
    list_filter = ("status",)
    fields = ("dong", "size", "status")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyStateAdmin):
    list_display = ("pk", "due_on", "recorded_at")
