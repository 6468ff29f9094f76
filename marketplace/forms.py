"""Forms of the marketplace pages. They check the shape of what was typed and
turn codes into objects; the services decide whether it may happen."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from config.personal_numbers import validate_no_personal_numbers
from marketplace.models import Category, FollowUpOutcome, Household, ResourceKind
from marketplace.services import listing_start_problem
from regions.models import Level, Region

#: Dates outside this window mean nothing to a listing and are refused.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
MAX_QUANTITY = 1_000_000
#: The MoneyField holds 14 digits; a larger value is surely a typing mistake.
MAX_KRW = 10**12
TEXT_MAX = 2000


SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("ending", _("Ending soon")),
    ("title", _("Title")),
    ("value", _("Highest value")),
]


def new_idempotency_key() -> str:
    return f"web-{uuid.uuid4().hex}"


def _idempotency_field() -> forms.CharField:
    # A fresh key with every blank form: pressing the button twice, or
    # resending the page, acts once.
    return forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=new_idempotency_key
    )


def _quantity_field(label: Any, *, minimum: int = 1, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": minimum}),
        error_messages={
            "required": _("Enter a whole number."),
            "invalid": _("Enter a whole number, such as 3."),
        },
        **kwargs,
    )


def _date_field(label: Any, *, required: bool, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": _("Enter a date such as 2026-03-01."),
            "required": _("Enter a date such as 2026-03-01."),
        },
        **kwargs,
    )


def _text_field(label: Any, *, required: bool = False, rows: int = 3, **kwargs: Any):
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def check_date(day: datetime.date | None) -> datetime.date | None:
    """`day` unchanged when it lies between EARLIEST_DATE and LATEST_DATE; otherwise
    a ValidationError naming the bounds (far dates would overflow on the way to
    the start or end of that day in the local time zone)."""
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
            code="out_of_range",
        )
    return day


# --- choices built from reference data ------------------------------------------------


def category_choices(
    *, parents_selectable: bool, categories: list[Category] | None = None
) -> list[tuple[Any, Any]]:
    """Categories grouped under their parent (one query, none when `categories`
    gives them all in code order). With `parents_selectable` each group opens
    with its parent, meaning "any of these"."""
    if categories is None:
        categories = list(Category.objects.order_by("code"))
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    groups: list[tuple[Any, Any]] = []
    for parent in (c for c in categories if c.parent_id is None):
        kids = children.get(parent.pk, [])
        options = [(kid.code, kid.name) for kid in kids]
        if parents_selectable or not kids:
            options.insert(0, (parent.code, _("%(name)s (all)") % {"name": parent.name}))
        groups.append((parent.name, options))
    return groups


class CategoryCodeField(forms.ChoiceField):
    """A category chosen by its code; cleans to the Category. The form fills
    the choices (reference data is read per request, never at import)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose a listed category.")})
        super().__init__(**kwargs)
        self.by_code: dict[str, Category] = {}

    def load(self) -> None:
        categories = list(Category.objects.order_by("code"))
        self.by_code = {category.code: category for category in categories}
        self.choices = [
            ("", _("Choose a category")),
            *category_choices(parents_selectable=False, categories=categories),
        ]

    def clean(self, value: Any) -> Category | None:
        code = super().clean(value)
        return self.by_code.get(code) if code else None


def region_choices(regions: Iterable[Region]) -> list[tuple[Any, Any]]:
    """Regions grouped under their district, the district itself first."""
    regions = sorted(regions, key=lambda r: r.path)
    if not regions:
        return []

    def district_code(region: Region) -> str:
        codes = region.ancestor_codes
        return codes[1] if len(codes) > 1 else region.code

    names = {
        d.code: d.name for d in Region.objects.filter(code__in={district_code(r) for r in regions})
    }
    groups: dict[str, list[tuple[str, str]]] = {}
    for region in regions:
        name = region.name
        if region.level == Level.DISTRICT:
            name = _("%(name)s (whole district)") % {"name": region.name}
        groups.setdefault(district_code(region), []).append((region.code, name))
    return [(names.get(code, code), options) for code, options in groups.items()]


class RegionCodeField(forms.ChoiceField):
    """A region chosen by its code from a given set; cleans to the Region."""

    def __init__(self, *, regions: Iterable[Region] = (), **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose a listed region.")})
        super().__init__(**kwargs)
        self.set_regions(regions)

    def set_regions(self, regions: Iterable[Region]) -> None:
        regions = list(regions)
        self.by_code = {region.code: region for region in regions}
        self.choices = [("", _("Choose a region")), *region_choices(regions)]

    def clean(self, value: Any) -> Region | None:
        code = super().clean(value)
        return self.by_code.get(code) if code else None


# --- the public catalogue ------------------------------------------------------------------


class CatalogueFilterForm(forms.Form):
    """The catalogue's filters. Every field is optional; a value that is not
    understood is shown as an error and not applied."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or description")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All")), *ResourceKind.choices],
        error_messages={"invalid_choice": _("Choose a listed kind.")},
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        error_messages={"invalid_choice": _("Choose a listed category.")},
    )
    district = forms.ChoiceField(
        label=_("District"),
        required=False,
        error_messages={"invalid_choice": _("Choose a listed district.")},
    )
    dong = forms.ChoiceField(
        label=_("Dong"),
        required=False,
        error_messages={"invalid_choice": _("Choose a listed dong.")},
    )
    available = forms.BooleanField(label=_("Available now"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=SORT_CHOICES,
        error_messages={"invalid_choice": _("Choose a listed order.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("All")),
            *category_choices(parents_selectable=True),
        ]
        regions = list(
            Region.objects.filter(level__in=(Level.DISTRICT, Level.DONG)).order_by("path")
        )
        self.districts = [r for r in regions if r.level == Level.DISTRICT]
        dongs = [r for r in regions if r.level == Level.DONG]
        self.fields["district"].choices = [
            ("", _("All")),
            *((d.code, d.name) for d in self.districts),
        ]
        # Every dong is a valid answer (a dong left over from the previous district
        # is dropped in clean()); the list shown is narrowed to the chosen district.
        self.fields["dong"].choices = [("", _("All")), *((d.code, d.name) for d in dongs)]
        self.dong_paths = {d.code: d.path for d in dongs}
        chosen = self.data.get("district") if self.is_bound else None
        district = next((d for d in self.districts if d.code == chosen), None)
        if district is not None:
            shown = [(d.code, d.name) for d in dongs if d.path.startswith(district.path)]
        else:
            by_district = {d.code: d for d in self.districts}
            shown = [
                (
                    by_district[code].name,
                    [(d.code, d.name) for d in dongs if d.path.startswith(by_district[code].path)],
                )
                for code in by_district
            ]
        self.fields["dong"].widget.choices = [("", _("All")), *shown]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        district, dong = cleaned.get("district"), cleaned.get("dong")
        if district and dong and f"/{district}/" not in f"/{self.dong_paths.get(dong, '')}":
            cleaned["dong"] = ""
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The understood filters, as `catalogue()` takes them."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        return {
            "text": (data.get("q") or "").strip(),
            "kind": data.get("kind") or "",
            "category": data.get("category") or "",
            "district": data.get("district") or "",
            "dong": data.get("dong") or "",
            "available_on": timezone.localdate() if data.get("available") else None,
            "ordering": data.get("sort") or "newest",
        }


# --- listings ------------------------------------------------------------------------------


class ListingForm(forms.Form):
    region = RegionCodeField(label=_("Region"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Choose a kind")), *ResourceKind.choices],
        error_messages={"invalid_choice": _("Choose a listed kind.")},
    )
    category = CategoryCodeField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = _text_field(_("Description"), rows=4)
    quantity = _quantity_field(_("Quantity"))
    unit = forms.CharField(
        label=_("Unit"),
        max_length=20,
        help_text=_("Such as 상자, 개, 회 — for volunteer hours: 시간."),
    )
    value_per_unit = forms.IntegerField(
        label=_("Appraised value per unit (KRW)"),
        required=False,
        min_value=0,
        max_value=MAX_KRW,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
        error_messages={"invalid": _("Enter whole won, such as 20000.")},
    )
    available_from = _date_field(_("Available from"), required=True)
    available_until = _date_field(_("Available until"), required=False)
    pickup_notes = _text_field(_("Pickup or delivery notes"), rows=2)

    def __init__(
        self,
        *args: Any,
        regions: QuerySet[Region] | None = None,
        fields_from: ListingForm | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("available_from", timezone.localdate())
        super().__init__(*args, **kwargs)
        if fields_from is not None:
            # The fields, with their choices, of another instance: a bulk import
            # checks each row with this form without reading the choices again.
            # Shared, not copied: checking data changes no field.
            self.fields = dict(fields_from.fields)
            return
        self.fields["category"].load()
        self.fields["value_per_unit"].help_text = _(
            "Whole won. Optional for volunteer hours: an hour is then valued at "
            "%(krw)s won. One point is %(per_point)s won."
        ) % {
            "krw": f"{settings.VOLUNTEER_HOUR_KRW:,}",
            "per_point": f"{settings.KRW_PER_POINT:,}",
        }
        if regions is None:
            del self.fields["region"]
        else:
            self.fields["region"].set_regions(
                regions.filter(level__in=(Level.DISTRICT, Level.ZONE, Level.DONG))
            )

    def clean_available_from(self) -> datetime.date | None:
        day = check_date(self.cleaned_data.get("available_from"))
        # A new listing (the form with a region to choose) may not start long ago.
        if "region" in self.fields:
            problem = listing_start_problem(day)
            if problem:
                raise ValidationError(problem, code="too_old")
        return day

    def clean_available_until(self) -> datetime.date | None:
        return check_date(self.cleaned_data.get("available_until"))

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("region", None)
        value = data.pop("value_per_unit")
        data["value_per_unit"] = Money(value, "KRW") if value is not None else None
        return data

    @classmethod
    def initial_from(cls, listing: Any) -> dict[str, Any]:
        value = listing.value_per_unit
        return {
            "kind": listing.kind,
            "category": listing.category.code,
            "title": listing.title,
            "description": listing.description,
            "quantity": listing.quantity,
            "unit": listing.unit,
            "value_per_unit": int(value.amount) if value is not None else None,
            "available_from": listing.available_from,
            "available_until": listing.available_until,
            "pickup_notes": listing.pickup_notes,
        }


# --- claims --------------------------------------------------------------------------------


class HouseholdChoiceField(forms.ModelChoiceField):
    """Lists the user's own active households, but accepts any household number,
    so that the service — not the form — answers one outside the user's
    regions (403) or a closed case (409)."""

    def label_from_instance(self, obj: Household) -> str:
        return _("%(code)s · %(dong)s · %(size)s people") % {
            "code": obj.code,
            "dong": obj.dong.name,
            "size": obj.size,
        }

    def to_python(self, value: Any) -> Household | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        # Beyond 18 digits no primary key exists, and the database could not compare it.
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        household = Household.objects.select_related("dong").filter(pk=int(text)).first()
        if household is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return household

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)


class ClaimForm(forms.Form):
    household = HouseholdChoiceField(
        label=_("Household"),
        queryset=Household.objects.none(),
        empty_label=_("Choose a household"),
        error_messages={
            "required": _("Choose the household this is for."),
            "invalid_choice": _("Choose one of your households."),
        },
    )
    quantity = _quantity_field(_("Quantity"))
    justification = _text_field(
        _("Justification for a repeated service"),
        help_text=_("Why this household needs the same kind of help again so soon."),
        validators=[validate_no_personal_numbers],
    )
    idempotency_key = _idempotency_field()

    def __init__(self, *args: Any, households: QuerySet[Household], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        # The justification is asked for only once the service says the
        # household had this kind of help recently, or when one was typed.
        self.show_justification = bool(self.is_bound and self.data.get("justification"))


class FulfilForm(forms.Form):
    quantity_received = _quantity_field(_("Quantity received"), minimum=0)


# --- households ----------------------------------------------------------------------------

NOTES_WARNING = _(
    "Never write names, resident registration numbers or phone numbers. "
    "Only case managers of this household's region can read the notes."
)


class HouseholdForm(forms.Form):
    dong = RegionCodeField(label=_("Dong"))
    size = forms.IntegerField(
        label=_("Household size"),
        min_value=1,
        max_value=20,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 20}),
        error_messages={"invalid": _("Enter a number from 1 to 20.")},
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": _("Choose listed categories.")},
    )
    notes = _text_field(
        _("Notes"), rows=4, help_text=NOTES_WARNING, validators=[validate_no_personal_numbers]
    )

    def __init__(self, *args: Any, dongs: QuerySet[Region] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = category_choices(parents_selectable=True)
        if dongs is None:
            del self.fields["dong"]
        else:
            self.fields["dong"].set_regions(dongs.filter(level=Level.DONG))
            self.fields["dong"].choices = [
                ("", _("Choose a dong")),
                *self.fields["dong"].choices[1:],
            ]

    def clean_needs(self) -> list[Category]:
        codes = self.cleaned_data.get("needs") or []
        return list(Category.objects.filter(code__in=codes))


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose…")), *FollowUpOutcome.choices],
        error_messages={
            "required": _("Choose what the follow-up found: stable, relapse or crisis."),
            "invalid_choice": _("Choose what the follow-up found: stable, relapse or crisis."),
        },
    )
    note = _text_field(
        _("What did the follow-up find?"),
        required=True,
        rows=2,
        error_messages={"required": _("Write what the follow-up found.")},
        validators=[validate_no_personal_numbers],
    )


class ListingFileForm(forms.Form):
    """The file of a bulk import of listings (read by marketplace/imports.py)."""

    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "The first row names the columns, as in the template; one listing per row. "
            "At most 1,000 rows and 2 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        error_messages={
            "required": _("Choose a file to upload."),
            "empty": _("The file is empty."),
            "invalid": _("Choose a file to upload."),
        },
    )


class ReopenForm(forms.Form):
    reason = _text_field(
        _("Why is the case reopened?"),
        required=True,
        rows=2,
        error_messages={"required": _("A reason is required to reopen the case.")},
        validators=[validate_no_personal_numbers],
    )


class CompletionPeriodForm(forms.Form):
    """The period of the follow-up completion report: follow-ups due from `start`
    to `end`, both included; by default the last 12 months up to today."""

    start = forms.DateField(
        label=_("Due from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        validators=[check_date],
    )
    end = forms.DateField(
        label=_("Due until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        validators=[check_date],
    )

    @staticmethod
    def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
        try:
            start = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            start = today.replace(year=today.year - 1, day=28)
        return start + datetime.timedelta(days=1), today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned
