from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from ledger.labels import register_kind_labels
        from marketplace.services import Kind

        register_kind_labels({Kind.CLAIM_AWARD: _("Points for a claim received")})
