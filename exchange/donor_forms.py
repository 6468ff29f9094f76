"""Forms of the donor portal and of finance's matching page. They check the
shape of what was typed; the donors and marketplace services decide whether
it may happen (a pledge's amount, date and cap are judged by `pledge_create`)."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from donors.models import Donor
from marketplace.forms import ListingForm, category_choices
from marketplace.models import Category
from regions.models import Level, Region

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
LATEST_DATE = datetime.date(LATEST_YEAR, 12, 31)
#: One pledge larger than this is surely a typing mistake (and stays far
#: inside the 14 digits the amount column holds).
MAX_PLEDGE_KRW = 10**12
MAX_CAP_POINTS = 10**12
_MAX_TYPED = 24
_WHOLE_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)$", re.ASCII)


def new_idempotency_key() -> str:
    return f"web-{uuid.uuid4().hex}"


class WonField(forms.CharField):
    """Whole won, such as 1000000 or 1,000,000; cleans to Money in KRW. Whether
    the amount is above zero and a whole number of points is the service's call."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": _("Enter the amount in won.")})
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "maxlength": str(_MAX_TYPED)}
        )

    def to_python(self, value: Any) -> Money | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = text.replace(" ", "").replace("원", "")
        if not _WHOLE_NUMBER.match(text):
            raise ValidationError(
                _("Enter whole won, such as 1000000 (no decimals)."), code="invalid"
            )
        # The length is checked before the conversion: a very long number is
        # too large anyway, and converting it would be slow.
        amount = int(text.replace(",", "")) if len(text) <= _MAX_TYPED else None
        if amount is None or amount > MAX_PLEDGE_KRW:
            raise ValidationError(
                _("At most %(max)s won in one pledge.") % {"max": f"{MAX_PLEDGE_KRW:,}"},
                code="max_value",
            )
        return Money(amount, "KRW")


class DonorContactForm(forms.ModelForm):
    """The contact a representative keeps up to date; name, kind and business
    registration number are kept by finance."""

    prefix = "profile"

    class Meta:
        model = Donor
        fields = ["contact_name", "contact_email"]


class PledgeForm(forms.Form):
    prefix = "pledge"

    amount = WonField(label=_("Amount (KRW)"))
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter a date such as 2026-12-31."),
            "invalid": _("Enter a date such as 2026-12-31."),
        },
    )
    preferred_categories = forms.MultipleChoiceField(
        label=_("Preferred categories"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Optional. Leave empty to fund claims of any category."),
        error_messages={"invalid_choice": _("Choose listed categories.")},
    )
    preferred_districts = forms.MultipleChoiceField(
        label=_("Preferred districts"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional. Leave empty to fund claims of any district."),
        error_messages={"invalid_choice": _("Choose listed districts.")},
    )
    cap_per_claim = forms.IntegerField(
        label=_("Cap per claim (points)"),
        required=False,
        max_value=MAX_CAP_POINTS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        help_text=_("Optional. The most points this pledge pays towards one claim."),
        error_messages={"invalid": _("Enter a whole number of points, such as 50.")},
    )
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=new_idempotency_key
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _(
            "Whole won, a multiple of %(per_point)s won (one point)."
        ) % {"per_point": f"{settings.KRW_PER_POINT:,}"}
        self.fields["preferred_categories"].choices = category_choices(parents_selectable=True)
        self.districts = {
            region.code: region
            for region in Region.objects.filter(level=Level.DISTRICT).order_by("code")
        }
        self.fields["preferred_districts"].choices = [
            (code, region.name) for code, region in self.districts.items()
        ]
        if not self.is_bound:
            self.initial.setdefault(
                "valid_until", timezone.localdate() + datetime.timedelta(days=365)
            )

    def clean_valid_until(self) -> datetime.date | None:
        day = self.cleaned_data.get("valid_until")
        if day is not None and day > LATEST_DATE:
            raise ValidationError(
                _("Choose a date before %(last)s.") % {"last": LATEST_DATE.isoformat()},
                code="out_of_range",
            )
        return day

    def clean_preferred_categories(self) -> list[Category]:
        codes = self.cleaned_data.get("preferred_categories") or []
        return list(Category.objects.filter(code__in=codes))

    def clean_preferred_districts(self) -> list[Region]:
        codes = self.cleaned_data.get("preferred_districts") or []
        return [self.districts[code] for code in codes if code in self.districts]


class GiftForm(ListingForm):
    """An in-kind gift, drafted for any district or dong; a coordinator of that
    region reviews and publishes it."""

    prefix = "gift"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("regions", Region.objects.filter(level__in=(Level.DISTRICT, Level.DONG)))
        super().__init__(*args, **kwargs)


class YearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"),
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": _("Enter a year such as 2026.")},
    )
