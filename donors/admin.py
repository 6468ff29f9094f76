from django.contrib import admin

from donors.models import Donor, DonorMembership, ReceiptIssue


class DonorMembershipInline(admin.TabularInline):
    model = DonorMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "business_number", "home_region", "is_active", "verified_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "business_number")
    inlines = [DonorMembershipInline]
    readonly_fields = ("verified_at", "verified_by")


@admin.register(ReceiptIssue)
class ReceiptIssueAdmin(admin.ModelAdmin):
    """Issued receipts are read here, never changed: a correction is a reissue."""

    list_display = ("serial", "donor", "year", "total", "issued_at", "issued_by", "superseded_by")
    list_filter = ("year",)
    search_fields = ("serial", "donor__name")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
