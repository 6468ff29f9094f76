from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from people.models import RegionMembership, User


class RegionMembershipInline(admin.TabularInline):
    model = RegionMembership
    extra = 0
    autocomplete_fields = ("region",)
    fields = ("region", "role", "starts_on", "ends_on")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RegionMembershipInline]
    # The office and its phone are the person's to keep up to date on their
    # profile page; the admin sees them beside the name.
    fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        (
            BaseUserAdmin.fieldsets[1][0],
            {"fields": (*BaseUserAdmin.fieldsets[1][1]["fields"], "office", "office_phone")},
        ),
        *BaseUserAdmin.fieldsets[2:],
    )


@admin.register(RegionMembership)
class RegionMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "role", "starts_on", "ends_on")
    list_filter = ("role", "region__level")
    search_fields = ("user__username", "user__last_name", "region__name_ko", "region__code")
    autocomplete_fields = ("user", "region")
    list_select_related = ("user", "region")
