"""The sign-in form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # Django's own message puts the field's name in a placeholder, and its Korean
    # translation can then only write "사용자 이름와/과": ours names both fields.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Enter a correct username and password. Both are case-sensitive."),
    }


class ProfileForm(forms.Form):
    """The person's own details; the checks that matter are the service's
    (`user_profile_update`), whose field errors land on these fields."""

    first_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    office = forms.CharField(
        label=_("Office"),
        max_length=100,
        required=False,
        help_text=_("Your organisation and department, e.g. 서구청 복지정책과."),
    )
    office_phone = forms.CharField(
        label=_("Office phone"),
        max_length=20,
        required=False,
        help_text=_("The office's number, shown to other regions; never a mobile number."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
