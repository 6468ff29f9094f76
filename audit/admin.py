from django.contrib import admin

from audit.models import PersonalDataAccess, TransitionLog


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TransitionLog)
class TransitionLogAdmin(_ReadOnlyAdmin):
    list_display = ("at", "object_type", "object_id", "transition", "source", "target", "by")
    list_filter = ("object_type", "transition")
    search_fields = ("object_id", "reason")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(_ReadOnlyAdmin):
    list_display = (
        "at",
        "user",
        "household",
        "action",
        "purpose",
        "outside_caseload",
        "remote_addr",
    )
    list_filter = ("action", "purpose", "outside_caseload")
    search_fields = ("user__username", "household__code")
    list_select_related = ("user", "household")
    date_hierarchy = "at"
