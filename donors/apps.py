from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonorsConfig(AppConfig):
    name = "donors"
    verbose_name = _("Donors")

    def ready(self) -> None:
        from config.web import register_condition
        from donors.permissions import donors_represented
        from donors.services import Kind
        from ledger.labels import register_kind_labels

        register_condition("donor_rep", lambda user: donors_represented(user).exists())
        register_kind_labels(
            {
                Kind.PLEDGE_CONFIRM: _("Pledge confirmed"),
                Kind.PLEDGE_RETURN: _("Pledge returned"),
            }
        )
