from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from donors.models import Donor
        from marketplace.catalogue_cache import listing_changed
        from marketplace.models import Category, Listing
        from regions.models import Region

        # A listing saved or deleted puts the cached catalogue pages and API
        # lists out of date; so does a donor, category or region saved, whose
        # names they show (rare writes: a donor's profile, the reference data).
        post_save.connect(listing_changed, sender=Listing, dispatch_uid="catalogue-cache-save")
        post_delete.connect(listing_changed, sender=Listing, dispatch_uid="catalogue-cache-delete")
        for model in (Donor, Category, Region):
            post_save.connect(
                listing_changed, sender=model, dispatch_uid=f"catalogue-cache-{model.__name__}"
            )
