from django.contrib import admin

from regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ko", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name_ko", "name_en")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
