"""The purpose asked before a household outside one's own caseload is shown,
and the search of the access records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AccessAction, AccessPurpose

#: The purposes one may give for opening someone else's household.
OTHER_PURPOSES = [
    (value, label)
    for value, label in AccessPurpose.choices
    if value not in (AccessPurpose.CASELOAD, AccessPurpose.REGION)
]


class PurposeForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Business purpose"), choices=OTHER_PURPOSES, widget=forms.RadioSelect
    )
    purpose_detail = forms.CharField(
        label=_("Purpose in detail"),
        max_length=200,
        required=False,
        help_text=_("Required for “Other”. Do not write names or other personal details."),
    )

    def clean_purpose_detail(self) -> str:
        # Stored as one line: a record is read in a table and a CSV file.
        return " ".join(self.cleaned_data.get("purpose_detail", "").split())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("purpose") == AccessPurpose.OTHER and not data.get("purpose_detail"):
            self.add_error("purpose_detail", _("Describe the purpose."))
        return data

    @property
    def given(self) -> bool:
        return "purpose" in self.data


class AccessSearchForm(forms.Form):
    user = forms.CharField(label=_("User"), max_length=150, required=False)
    household = forms.CharField(label=_("Household code"), max_length=16, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("All")), *AccessAction.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
