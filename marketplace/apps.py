from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from marketplace.catalogue_cache import listing_changed
        from marketplace.models import Listing

        # A listing saved or deleted puts the cached catalogue pages out of date.
        post_save.connect(listing_changed, sender=Listing, dispatch_uid="catalogue-cache-save")
        post_delete.connect(listing_changed, sender=Listing, dispatch_uid="catalogue-cache-delete")
