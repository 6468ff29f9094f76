import django_filters

from ledger.models import Transaction


class TransactionFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="entries__account", distinct=True)
    posted_after = django_filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="gte")
    posted_before = django_filters.IsoDateTimeFilter(field_name="posted_at", lookup_expr="lt")

    class Meta:
        model = Transaction
        fields = ["kind", "account", "posted_after", "posted_before"]
