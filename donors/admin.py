from django.contrib import admin

from donors.models import Donor, DonorMembership


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
