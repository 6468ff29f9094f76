from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Exchange")

    def ready(self) -> None:
        from exchange.services import Kind
        from ledger.labels import register_kind_labels

        register_kind_labels({Kind.CLAIM_AWARD: _("Points for a claim received")})
