from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("People and roles")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from config.web import register_condition
        from people.middleware import session_touch
        from people.permissions import active_memberships, is_finance

        user_logged_in.connect(session_touch, dispatch_uid="people.session_touch")
        register_condition(
            "roles", lambda user, roles: active_memberships(user).filter(role__in=roles).exists()
        )
        register_condition("finance", is_finance)
