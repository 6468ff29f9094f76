"""Forms of the finance pages. They check the shape of what was typed; the
ledger services decide whether it may happen."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.reasons import reason_field
from ledger.models import OwnerKind, Purpose, Transaction
from regions.models import Level, Region

#: Dates outside this window are refused: they mean nothing to the ledger and,
#: at the extremes, cannot be turned into a moment in time at all.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
#: One grant larger than this is surely a typing mistake (and keeps sums far
#: from the database's integer limits).
MAX_GRANT_POINTS = 1_000_000_000
REASON_MAX_LENGTH = 1000

#: The longest number typed into a points or transaction field that is read at all.
_MAX_TYPED = 20
_WHOLE_NUMBER = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.name


class WholePointsField(forms.CharField):
    """A positive whole number of points; "1,000" is read as 1000."""

    def __init__(self, *, max_points: int = MAX_GRANT_POINTS, **kwargs: Any) -> None:
        self.max_points = max_points
        kwargs.setdefault(
            "error_messages", {"required": _("Enter the number of points, such as 500.")}
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "maxlength": str(_MAX_TYPED)}
        )

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = text.replace(" ", "")
        if text.startswith("-") and _WHOLE_NUMBER.match(text[1:]):
            raise ValidationError(_("Points must be more than zero."), code="min_value")
        if not _WHOLE_NUMBER.match(text):
            raise ValidationError(
                _("Enter a whole number of points, such as 500 (no decimals)."), code="invalid"
            )
        # The length is checked before the conversion: a very long number is
        # too large anyway, and converting it would be slow.
        points = int(text.replace(",", "")) if len(text) <= _MAX_TYPED else None
        if points is None or points > self.max_points:
            raise ValidationError(
                _("At most %(max)s points at a time.") % {"max": f"{self.max_points:,}"},
                code="max_value",
            )
        if points <= 0:
            raise ValidationError(_("Points must be more than zero."), code="min_value")
        return points


class TransactionField(forms.CharField):
    """A transaction number as shown on the statements ("17" or "#17")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages", {"required": _("Enter the number of the transaction to correct.")}
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "maxlength": str(_MAX_TYPED)}
        )

    def to_python(self, value: Any) -> Transaction | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = text.strip().lstrip("#")
        if not text.isascii() or not text.isdigit():
            raise ValidationError(
                _("A transaction number is a whole number, such as 17."), code="invalid"
            )
        # Beyond 18 digits no primary key exists, and the database could not compare it.
        found = Transaction.objects.filter(pk=int(text)).first() if len(text) <= 18 else None
        if found is None:
            raise ValidationError(
                _("There is no transaction #%(number)s.") % {"number": text.lstrip("0") or "0"},
                code="unknown",
            )
        return found


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason; the second approver reads it.")},
    )


def _idempotency_field() -> forms.CharField:
    # A fresh key with every blank form: pressing the button twice, or
    # resending the page, proposes once.
    return forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=new_idempotency_key
    )


def new_idempotency_key() -> str:
    return f"web-{uuid.uuid4().hex}"


class GrantProposalForm(forms.Form):
    prefix = "grant"

    region = RegionChoiceField(
        label=_("Exchange region"),
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label=_("Choose a region"),
        error_messages={
            "required": _("Choose the region that receives the points."),
            "invalid_choice": _("Choose one of the listed regions."),
        },
    )
    amount = WholePointsField(label=_("Points"))
    reason = _reason_field()
    idempotency_key = _idempotency_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(
            level=settings.EXCHANGE_LEVEL
        ).order_by("code")


class CorrectionProposalForm(forms.Form):
    prefix = "correction"

    target = TransactionField(label=_("Transaction number"))
    reason = _reason_field()
    idempotency_key = _idempotency_field()


class DecisionForm(forms.Form):
    """Approving a proposal may add a note."""

    note = reason_field(required=False, label=_("Note"))


class RejectionForm(forms.Form):
    """Rejecting a proposal cannot be undone: it says why."""

    note = reason_field(required=True, label=_("Note"))


class AccountFilterForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=[("", _("All")), *Purpose.choices], required=False
    )
    owner_kind = forms.ChoiceField(
        label=_("Owner"), choices=[("", _("All")), *OwnerKind.choices], required=False
    )
    district = RegionChoiceField(
        label=_("District"),
        queryset=Region.objects.filter(level=Level.DISTRICT).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All"),
        error_messages={"invalid_choice": _("Choose one of the listed districts.")},
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Account code or region name")}
        ),
    )


class DateRangeForm(forms.Form):
    """Local (Asia/Seoul) calendar days, both ends inclusive."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 2026-03-01.")},
    )
    date_to = forms.DateField(
        label=_("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 2026-03-31.")},
    )
    #: The longest range allowed, in days; None for no limit.
    max_days: int | None = None

    def _clean_bounds(self, name: str) -> datetime.date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError(
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
                code="out_of_range",
            )
        return day

    def clean_date_from(self) -> datetime.date | None:
        return self._clean_bounds("date_from")

    def clean_date_to(self) -> datetime.date | None:
        return self._clean_bounds("date_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        elif first and last and self.max_days and (last - first).days + 1 > self.max_days:
            self.add_error("date_to", _("Choose at most %(days)s days.") % {"days": self.max_days})
        return cleaned


class ChartRangeForm(DateRangeForm):
    max_days = 366
