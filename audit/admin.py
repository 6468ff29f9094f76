from django.contrib import admin

from audit.models import TransitionLog


@admin.register(TransitionLog)
class TransitionLogAdmin(admin.ModelAdmin):
    list_display = ("at", "object_type", "object_id", "transition", "source", "target", "by")
    list_filter = ("object_type", "transition")
    search_fields = ("object_id", "reason")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
