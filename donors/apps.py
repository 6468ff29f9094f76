from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonorsConfig(AppConfig):
    name = "donors"
    verbose_name = _("Donors")

    def ready(self) -> None:
        from donors.services import Kind
        from ledger.labels import register_kind_labels

        register_kind_labels(
            {
                Kind.PLEDGE_CONFIRM: _("Pledge confirmed"),
                Kind.PLEDGE_RETURN: _("Pledge returned"),
            }
        )
