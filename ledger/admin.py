"""The ledger in the admin: everything read-only. Points move only through
`ledger.services`; a mistake is corrected by a proposal approved by two
finance users, never by editing rows."""

from django.contrib import admin

from ledger.models import Account, Entry, Hold, Proposal, Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "amount", "sequence", "balance_after", "hash")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "owner_kind", "purpose", "balance", "sequence", "allow_negative")
    list_filter = ("purpose", "owner_kind")
    search_fields = ("code", "region__name_ko")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "posted_at", "posted_by", "memo", "reverses")
    list_filter = ("kind",)
    search_fields = ("memo", "idempotency_key")
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("account", "sequence", "amount", "balance_after", "transaction", "posted_at")
    list_select_related = ("account", "transaction")
    search_fields = ("account__code",)


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("pk", "source", "amount", "status", "settled_amount", "created_at")
    list_filter = ("status",)


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "kind",
        "region",
        "amount",
        "target",
        "status",
        "proposed_by",
        "decided_by",
    )
    list_filter = ("kind", "status")
