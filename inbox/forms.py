from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import Kind, NotificationPreference

EMAIL_IMMEDIATE, EMAIL_DIGEST, EMAIL_NONE = "immediate", "digest", "none"
EMAIL_CHOICES = [
    (EMAIL_IMMEDIATE, _("An e-mail for each notification")),
    (EMAIL_DIGEST, _("One digest e-mail a day")),
    (EMAIL_NONE, _("No e-mail (the inbox only)")),
]


class PreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label=_("E-mail"),
        choices=EMAIL_CHOICES,
        help_text=_("Every notification reaches your inbox on this site whatever you choose."),
    )
    muted_kinds = forms.MultipleChoiceField(
        label=_("No e-mail about"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @staticmethod
    def initial_for(preference: NotificationPreference) -> dict:
        if preference.daily_digest:
            email = EMAIL_DIGEST
        elif preference.email_immediate:
            email = EMAIL_IMMEDIATE
        else:
            email = EMAIL_NONE
        return {"email": email, "muted_kinds": list(preference.muted_kinds or [])}

    def preference_values(self) -> dict:
        """The service's arguments from the cleaned form."""
        email = self.cleaned_data["email"]
        return {
            "email_immediate": email == EMAIL_IMMEDIATE,
            "daily_digest": email == EMAIL_DIGEST,
            "muted_kinds": self.cleaned_data["muted_kinds"],
        }
