"""REST API of the marketplace: categories, listings, households and claims.

Categories and published listings are public. Coordinators create listings
for their regions and see every state of them; case managers register the
households of their regions and claim for them. Household codes and notes
reach case managers of the household's region only: everyone else sees "a
household in <district>" (`household_district`), and a household they may
not see does not exist for them (empty list, 404).

Money: an appraised value is the whole number of won `value_per_unit_krw`
(never a float); `points_per_unit` is what one unit costs in welfare points.
Every write calls exactly one service; their errors keep their codes
(409 `insufficient_points`, `insufficient_quantity`, `listing_not_published`,
`duplicate_service`, `not_matched`, `illegal_transition`, `idempotency_conflict`;
403 `permission_denied`; 400 `invalid` with `fields`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from djmoney.money import Money
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response

from audit.exceptions import PurposeRequired
from audit.forms import OTHER_PURPOSES, PurposeForm
from audit.models import AccessAction, AccessPurpose
from audit.services import access_record
from config.exceptions import NotAllowed
from config.fields import MAX_ID, StrictPrimaryKeyRelatedField, api_field_names
from config.pagination import CappedPagination
from config.personal_numbers import validate_no_personal_numbers
from donors.models import Donor
from donors.permissions import donors_represented
from exchange.filters import ClaimFilter
from exchange.models import MESSAGE_MAX_LENGTH, Claim, ClaimMessage, ClaimState, MessageSide
from exchange.selectors import (
    claim_message_side,
    claim_thread,
    claims_visible_to,
    listings_visible_to,
)
from exchange.services import (
    claim_approve,
    claim_cancel,
    claim_fulfil,
    claim_message_post,
    claim_reject,
    claim_request,
)
from ledger.api import IDEMPOTENCY_HEADER, idempotency_key
from marketplace.catalogue_cache import (
    private_response,
    query_key,
    request_language,
    stored_answer,
    versioned_key,
)
from marketplace.filters import CategoryFilter, HouseholdFilter, ListingFilter, ListingSearchFilter
from marketplace.models import (
    Category,
    FollowUp,
    FollowUpOutcome,
    Household,
    Listing,
    ResourceKind,
)
from marketplace.selectors import Viewer, households_visible_to, points_per_unit
from marketplace.services import (
    follow_up_record,
    household_close,
    household_create,
    household_update,
    listing_create,
    listing_publish,
    listing_update,
    listing_withdraw,
)
from people.models import Role
from people.permissions import holds_role, posts_read_once, regions_for
from regions.models import Region

#: States a listing is visible in to everyone; coordinators also see the rest in their regions.
#: The largest appraised value a listing can store (14 digits, whole won).
MAX_KRW = 10**14 - 1
MAX_QUANTITY = 1_000_000
MAX_TEXT = 5_000

ID_PATTERN = r"[0-9]+"


# --- who is looking -------------------------------------------------------------------


def _viewer(context: dict[str, Any]) -> Viewer:
    return context["viewer"]


class ViewerMixin:
    """Puts one `Viewer` per request into every serializer's context."""

    request: Request
    _viewer_of_request: Viewer | None = None

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        # A view instance serves one request, so it can hold that request's Viewer.
        if self._viewer_of_request is None:
            self._viewer_of_request = Viewer(self.request.user)
        context["viewer"] = self._viewer_of_request
        return context


def _require_role(user, role: Role, message: str) -> None:
    """Refuse with 403 before reading the body when the user holds `role` nowhere."""
    if not holds_role(user, role):
        raise NotAllowed(str(message))


class CodeRelatedField(serializers.SlugRelatedField):
    """A row named by its code. A code holding a NUL character is refused here:
    PostgreSQL cannot even compare such text, so it must never reach a query."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


# --- categories -------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # The values of a listing's `kind`, listed without their labels: the API
    # documentation then gives this field its own name instead of two names
    # for one set of choices.
    usual_kind = serializers.ChoiceField(choices=ResourceKind.values, read_only=True)

    class Meta:
        model = Category
        fields = ["code", "parent", "name_ko", "name_en", "usual_kind"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The two-level resource taxonomy. Filter by `parent` (a code) or `usual_kind`."""

    queryset = Category.objects.select_related("parent").order_by("code")
    serializer_class = CategorySerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    # Letters, digits, dots, underscores and hyphens: what codes are made of, and
    # never a character (NUL) that PostgreSQL refuses to compare.
    lookup_value_regex = r"[\w.\-]+"
    filterset_class = CategoryFilter
    search_fields = ["name_ko", "name_en"]
    ordering_fields = ["code", "name_ko", "name_en"]


# --- listings --------------------------------------------------------------------


class KrwField(serializers.IntegerField):
    """Whole won as a JSON integer (never a float or a fraction), held as Money in KRW."""

    def to_representation(self, value: Money) -> int:
        return int(value.amount)

    def run_validation(self, data: Any = empty) -> Money | None:
        # The bounds are checked on the whole number, before it becomes Money.
        won = super().run_validation(data)
        return None if won is None else Money(won, "KRW")


#: How the listing's moments are written: DRF's own field for a model's
#: DateTimeField (ISO 8601 in the active time zone), made once, so that a row
#: does not need the serializer's fields (deep copies of every declared field).
_moment = serializers.DateTimeField(read_only=True).to_representation


class ListingSerializer(serializers.ModelSerializer):
    """A listing as everyone reads it and as a coordinator writes it (one shape for
    both, so the API documentation names each choice set once)."""

    category = CodeRelatedField(slug_field="code", queryset=Category.objects.all())
    category_name = serializers.SerializerMethodField()
    region = CodeRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        help_text=_("Code of the dong or district that offers the resource; fixed once created"),
    )
    region_name = serializers.SerializerMethodField()
    district_name = serializers.SerializerMethodField()
    donor = serializers.SerializerMethodField(help_text=_("Name of the donor organisation"))
    donor_id = StrictPrimaryKeyRelatedField(
        source="donor",
        queryset=Donor.objects.filter(is_active=True, verified_at__isnull=False),
        required=False,
        allow_null=True,
        write_only=True,
        error_messages={"does_not_exist": _("Choose a verified donor that you represent.")},
        help_text=_(
            "Id of the verified donor organisation that gave it, if any; only its "
            "representatives may name it; fixed once created"
        ),
    )
    value_per_unit_krw = KrwField(
        source="value_per_unit",
        min_value=0,
        max_value=MAX_KRW,
        required=False,
        allow_null=True,
        help_text=_(
            "Appraised value of one unit in whole won (KRW), a JSON integer. Required for "
            "goods and services; empty for volunteer hours valued at the statutory hourly rate."
        ),
    )
    points_per_unit = serializers.SerializerMethodField(
        help_text=_("Welfare points one unit costs: value ÷ won per point, rounded half up")
    )
    quantity_available = serializers.IntegerField(read_only=True)

    class Meta:
        model = Listing
        fields = [
            "id",
            "state",
            "kind",
            "category",
            "category_name",
            "title",
            "description",
            "quantity",
            "unit",
            "quantity_available",
            "quantity_held",
            "quantity_fulfilled",
            "value_per_unit_krw",
            "points_per_unit",
            "available_from",
            "available_until",
            "pickup_notes",
            "region",
            "region_name",
            "district_name",
            "donor",
            "donor_id",
            "published_at",
            "created_at",
        ]
        read_only_fields = [
            "state",
            "quantity_held",
            "quantity_fulfilled",
            "published_at",
            "created_at",
        ]
        extra_kwargs = {
            "description": {"max_length": MAX_TEXT},
            "pickup_notes": {"max_length": MAX_TEXT},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.method not in permissions.SAFE_METHODS:
            # Only a donor the caller represents can be named: any other is "not
            # found", like an id that does not exist (its existence is not theirs
            # to learn, and its receipt not theirs to fill).
            self.fields["donor_id"].queryset = donors_represented(request.user).filter(
                is_active=True, verified_at__isnull=False
            )

    def to_representation(self, instance: Listing) -> dict[str, Any]:
        """The listing as the API shows it, built in one pass.

        The same answer as DRF's generic `Serializer.to_representation` over the
        fields above (a test compares the two on listings of every shape, in
        both languages), without its per-field work: a page of 50 listings
        spent most of its time there (bench/README.md). A field added to
        `Meta.fields` must be added here too."""
        category, region, value = instance.category, instance.region, instance.value_per_unit
        published_at, available_until = instance.published_at, instance.available_until
        return {
            "id": instance.pk,
            "state": instance.state,
            "kind": instance.kind,
            "category": category.code,
            "category_name": category.name,
            "title": instance.title,
            "description": instance.description,
            "quantity": instance.quantity,
            "unit": instance.unit,
            "quantity_available": instance.quantity_available,
            "quantity_held": instance.quantity_held,
            "quantity_fulfilled": instance.quantity_fulfilled,
            "value_per_unit_krw": None if value is None else int(value.amount),
            "points_per_unit": points_per_unit(instance),
            "available_from": instance.available_from.isoformat(),
            "available_until": None if available_until is None else available_until.isoformat(),
            "pickup_notes": instance.pickup_notes,
            "region": region.code,
            "region_name": region.name,
            "district_name": _viewer(self.context).district_name(region),
            "donor": instance.donor.name if instance.donor_id else None,
            "published_at": None if published_at is None else _moment(published_at),
            "created_at": _moment(instance.created_at),
        }

    def get_category_name(self, obj: Listing) -> str:
        return obj.category.name

    def get_region_name(self, obj: Listing) -> str:
        return obj.region.name

    def get_district_name(self, obj: Listing) -> str | None:
        return _viewer(self.context).district_name(obj.region)

    def get_donor(self, obj: Listing) -> str | None:
        return obj.donor.name if obj.donor_id else None

    def get_points_per_unit(self, obj: Listing) -> int:
        return points_per_unit(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            fixed = {
                name: [_("This cannot change once the listing exists.")]
                for name, attr in (("region", "region"), ("donor_id", "donor"))
                if attr in attrs
            }
            if fixed:
                raise serializers.ValidationError(fixed)
        return attrs


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        validators=[validate_no_personal_numbers],
    )


#: The services name the model's field; the API calls it by its unit.
LISTING_FIELD_NAMES = {"value_per_unit": "value_per_unit_krw"}


#: The list's query parameters: its filters, search, ordering and pages.
LIST_PARAMETERS = frozenset(
    {
        *ListingFilter.base_filters,
        "search",
        "page",
        "page_size",
    }
)
#: What a cached list answer varies on (DRF's content negotiation, the token or
#: session that would make the request signed in, the language of the names).
LIST_CACHE_VARY = ("Accept", "Authorization", "Cookie", "Accept-Language")


class ListingViewSet(ViewerMixin, viewsets.ReadOnlyModelViewSet):
    """Listings. Everyone sees published, reserved and completed ones; a
    coordinator also sees every state of the listings of their regions.
    `search` matches title and description. Coordinators create drafts, edit
    them while they are drafts, publish and withdraw them."""

    serializer_class = ListingSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend, ListingSearchFilter]
    filterset_class = ListingFilter
    search_fields = ["title", "description"]
    # A count that stops at 1,000 keeps a first page as fast at 200,000 listings
    # as at 2,000 (bench/catalogue_bench.py).
    pagination_class = CappedPagination

    def get_queryset(self) -> QuerySet[Listing]:
        return listings_visible_to(self.request.user)

    # No docstring here: the API documentation describes the list from the class's.
    def list(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Anonymous lists come from the cache under the catalogue version, like the
        # catalogue page (marketplace/catalogue_cache.py); see `_list_cache_key`.
        key = self._list_cache_key(request)
        if key is None:
            return super().list(request, *args, **kwargs)
        build = super().list
        built: list[Response] = []

        def render() -> Response:
            response = build(request, *args, **kwargs)
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            built.append(response.render())
            return response

        stored = stored_answer(key, render)
        if stored is None:
            return built[0]
        return private_response(*stored, LIST_CACHE_VARY)

    def _list_cache_key(self, request: Request) -> str | None:
        """The key of an anonymous list answer, or None when it must be built.

        Only anonymous requests: a coordinator sees every state of their
        regions' listings, a donor's representative its drafts, anyone the
        listings of the claims they may see, so signed-in answers differ by
        user. The answer depends on the query (known parameters only: any other
        one, `format` included, is answered without the cache), the renderer
        and its media type (`indent`), the language (category, region and
        district names) and the scheme and host (the `next` and `previous`
        links are absolute). Not on the day: the list shows stored states, and
        `available_on` names its day. The version rises with any listing and
        with a donor, category or region saved (marketplace/apps.py).
        """
        if request.user.is_authenticated or request.accepted_renderer.format != "json":
            return None
        query = query_key(request, LIST_PARAMETERS)
        if query is None:
            return None
        return versioned_key(
            "api-listings",
            query,
            request.accepted_media_type,
            request_language(request),
            request.scheme,
            request.get_host(),
        )

    def _answer(self, listing: Listing, status_code: int = status.HTTP_200_OK) -> Response:
        listing = listings_visible_to(self.request.user).get(pk=listing.pk)
        return Response(self.get_serializer(listing).data, status=status_code)

    @extend_schema(responses={201: ListingSerializer})
    def create(self, request: Request) -> Response:
        """Draft a listing for a region you coordinate, or an in-kind gift of a donor
        you represent (a coordinator of the region then publishes it)."""
        if not (
            regions_for(request.user, Role.COORDINATOR).exists()
            or donors_represented(request.user).exists()
        ):
            raise NotAllowed(_("Only a coordinator of this region may list resources here."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        with api_field_names(LISTING_FIELD_NAMES):
            listing = listing_create(
                by=request.user,
                region=fields.pop("region"),
                donor=fields.pop("donor", None),
                **fields,
            )
        return self._answer(listing, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change the terms of a draft (409 `illegal_transition` once published)."""
        listing = self.get_object()
        serializer = self.get_serializer(listing, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with api_field_names(LISTING_FIELD_NAMES):
            listing = listing_update(listing=listing, by=request.user, **serializer.validated_data)
        return self._answer(listing)

    @extend_schema(request=None, responses=ListingSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Open a draft for claims."""
        listing = listing_publish(listing=self.get_object(), by=request.user)
        return self._answer(listing)

    @extend_schema(request=WithdrawSerializer, responses=ListingSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Take back a draft or a published listing that no active claim holds."""
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        listing = listing_withdraw(
            listing=self.get_object(),
            by=request.user,
            reason=body.validated_data.get("reason", ""),
        )
        return self._answer(listing)


# --- households -----------------------------------------------------------------------


class FollowUpSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    note = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("Null in a list without a purpose, for a household outside your caseload"),
    )

    class Meta:
        model = FollowUp
        fields = ["id", "due_on", "recorded_at", "recorded_by", "outcome", "note", "held_at"]


class HouseholdSerializer(serializers.ModelSerializer):
    dong = serializers.SlugRelatedField(slug_field="code", read_only=True)
    dong_name = serializers.SerializerMethodField()
    district_name = serializers.SerializerMethodField()
    needs = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    case_manager = serializers.SlugRelatedField(slug_field="username", read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    notes = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_("Null in a list without a purpose, for a household outside your caseload"),
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "code",
            "dong",
            "dong_name",
            "district_name",
            "size",
            "needs",
            "case_manager",
            "status",
            "notes",
            "created_at",
            "closed_at",
            "follow_ups",
        ]

    def get_dong_name(self, obj: Household) -> str:
        return obj.dong.name

    def to_representation(self, instance: Household) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if (
            self.context.get("withhold_notes_of_others")
            and request is not None
            and instance.case_manager_id != request.user.pk
        ):
            data["notes"] = None
            for follow_up in data["follow_ups"]:
                follow_up["note"] = None
        return data

    def get_district_name(self, obj: Household) -> str | None:
        return _viewer(self.context).district_name(obj.dong)


class HouseholdUpdateSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, max_value=20, required=False)
    needs = CodeRelatedField(
        slug_field="code", queryset=Category.objects.all(), many=True, required=False
    )
    notes = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        help_text=_("Never write names, resident registration numbers or phone numbers."),
        validators=[validate_no_personal_numbers],
    )


class HouseholdCreateSerializer(HouseholdUpdateSerializer):
    dong = CodeRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text=_("Code of the dong")
    )
    size = serializers.IntegerField(min_value=1, max_value=20)


class FollowUpRecordSerializer(serializers.Serializer):
    follow_up = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("Id of one of this household's follow-ups")
    )
    outcome = serializers.ChoiceField(
        choices=FollowUpOutcome.choices,
        help_text=_("What the follow-up found: stable, relapse or crisis"),
        error_messages={
            "required": _("Choose what the follow-up found: stable, relapse or crisis."),
            "invalid_choice": _("Choose what the follow-up found: stable, relapse or crisis."),
        },
    )
    note = serializers.CharField(max_length=MAX_TEXT, validators=[validate_no_personal_numbers])


PURPOSE_HEADER = "X-Access-Purpose"
PURPOSE_DETAIL_HEADER = "X-Access-Purpose-Detail"
PURPOSE_PARAMETERS = [
    OpenApiParameter(
        "purpose",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        enum=[value for value, _label in OTHER_PURPOSES],
        description=_(
            "Purpose of access (or the X-Access-Purpose header): required for a household "
            "outside your own caseload, recorded with the access"
        ),
    ),
    OpenApiParameter(
        "purpose_detail",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description=_(
            "The purpose in words, at most 200 characters (or the X-Access-Purpose-Detail "
            "header, percent-encoded); required for purpose=other"
        ),
    ),
]


def _stated_purpose(request: Request) -> tuple[str, str] | None:
    """The purpose given with the request (query parameter first, then header), or None.
    A purpose given but not valid is refused, never ignored."""
    purpose = request.query_params.get("purpose") or request.headers.get(PURPOSE_HEADER)
    if not purpose:
        return None
    detail = request.query_params.get("purpose_detail")
    if detail is None:
        detail = unquote(request.headers.get(PURPOSE_DETAIL_HEADER, ""))
    form = PurposeForm({"purpose": purpose, "purpose_detail": detail})
    if not form.is_valid():
        raise PurposeRequired(
            _("The purpose of access is not valid."),
            fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
        )
    return form.cleaned_data["purpose"], form.cleaned_data["purpose_detail"]


class HouseholdViewSet(ViewerMixin, viewsets.ReadOnlyModelViewSet):
    """Households of the regions where you are a case manager (code and notes
    included). Anyone else sees an empty list and 404 for every household.

    Every household returned writes a personal-data access record. A household
    outside your own caseload (another responsible case manager) needs a
    purpose (`purpose`, `purpose_detail`, or the X-Access-Purpose headers):
    opened or changed without one it is 400 `purpose_required`; in a list
    without one its notes and follow-up notes are withheld (null)."""

    serializer_class = HouseholdSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = HouseholdFilter
    search_fields = ["code"]
    ordering_fields = ["created_at", "size"]

    def get_queryset(self) -> QuerySet[Household]:
        return households_visible_to(self.request.user).prefetch_related(
            "needs", Prefetch("follow_ups", FollowUp.objects.select_related("recorded_by"))
        )

    def _purpose(self, household: Household) -> tuple[str, str]:
        stated = _stated_purpose(self.request)
        if household.case_manager_id == self.request.user.pk:
            return stated or (AccessPurpose.CASELOAD, "")
        if stated is None:
            raise PurposeRequired()
        return stated

    def _answer(
        self,
        household: Household,
        action: str,
        purpose: tuple[str, str],
        status_code: int = status.HTTP_200_OK,
    ) -> Response:
        household = self.get_queryset().get(pk=household.pk)
        access_record(
            request=self.request,
            households=[household],
            action=action,
            purpose=purpose[0],
            purpose_detail=purpose[1],
        )
        return Response(self.get_serializer(household).data, status=status_code)

    @extend_schema(parameters=PURPOSE_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        stated = _stated_purpose(request)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        households = list(page) if page is not None else list(queryset)
        access_record(
            request=request,
            households=households,
            action=AccessAction.LIST,
            purpose=stated[0] if stated else "",
            purpose_detail=stated[1] if stated else "",
        )
        context = self.get_serializer_context()
        # Without a stated purpose, a list does not show anyone else's notes.
        context["withhold_notes_of_others"] = stated is None
        data = HouseholdSerializer(households, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(parameters=PURPOSE_PARAMETERS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        household = self.get_object()
        return self._answer(household, AccessAction.VIEW, self._purpose(household))

    @extend_schema(request=HouseholdCreateSerializer, responses={201: HouseholdSerializer})
    def create(self, request: Request) -> Response:
        """Register a household of a dong where you are a case manager."""
        _require_role(
            request.user,
            Role.CASE_MANAGER,
            _("Only a case manager of this dong may register its households."),
        )
        serializer = HouseholdCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        household = household_create(
            by=request.user,
            dong=data["dong"],
            size=data["size"],
            needs=data.get("needs", ()),
            notes=data.get("notes", ""),
        )
        return self._answer(
            household, AccessAction.CREATE, (AccessPurpose.CASELOAD, ""), status.HTTP_201_CREATED
        )

    @extend_schema(
        request=HouseholdUpdateSerializer,
        responses=HouseholdSerializer,
        parameters=PURPOSE_PARAMETERS,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change size, needs or notes."""
        household = self.get_object()
        purpose = self._purpose(household)
        serializer = HouseholdUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        household = household_update(
            household=household, by=request.user, **serializer.validated_data
        )
        return self._answer(household, AccessAction.UPDATE, purpose)

    @extend_schema(request=None, responses=HouseholdSerializer, parameters=PURPOSE_PARAMETERS)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close the case; the follow-ups are scheduled (3 and 6 months by default)."""
        household = self.get_object()
        purpose = self._purpose(household)
        household = household_close(household=household, by=request.user)
        return self._answer(household, AccessAction.UPDATE, purpose)

    @extend_schema(
        request=FollowUpRecordSerializer,
        responses=HouseholdSerializer,
        parameters=PURPOSE_PARAMETERS,
    )
    @action(detail=True, methods=["post"], url_path="record-follow-up")
    def record_follow_up(self, request: Request, pk: str | None = None) -> Response:
        """Record what one of the household's follow-ups found."""
        household = self.get_object()
        purpose = self._purpose(household)
        body = FollowUpRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up = household.follow_ups.filter(pk=body.validated_data["follow_up"]).first()
        if follow_up is None:
            raise serializers.ValidationError(
                {"follow_up": [_("This household has no such follow-up.")]}
            )
        follow_up_record(
            follow_up=follow_up,
            by=request.user,
            note=body.validated_data["note"],
            outcome=body.validated_data["outcome"],
        )
        return self._answer(household, AccessAction.UPDATE, purpose)


# --- claims ---------------------------------------------------------------------------


class ClaimHouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


class ClaimSerializer(serializers.ModelSerializer):
    # A claim past its deadline reads as expired before `expire_due` expires it
    # (ClaimViewSet reads `Claim.objects.with_effective_state()`).
    state = serializers.ChoiceField(
        choices=ClaimState.choices, source="effective_state", read_only=True
    )
    listing = serializers.PrimaryKeyRelatedField(read_only=True)
    listing_title = serializers.CharField(source="listing.title", read_only=True)
    listing_region = serializers.CharField(source="listing.region.code", read_only=True)
    household = serializers.SerializerMethodField(
        help_text=_("Only for case managers of the household's region; empty for everyone else")
    )
    household_district = serializers.SerializerMethodField(
        help_text=_("The district the household lives in")
    )
    claimant_region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider_region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "state",
            "listing",
            "listing_title",
            "listing_region",
            "household",
            "household_district",
            "quantity",
            "quantity_received",
            "points_per_unit",
            "cost_points",
            "is_exchange",
            "claimant_region",
            "provider_region",
            "justification",
            "duplicate_flag",
            "requested_by",
            "requested_at",
            "approve_by",
            "approved_at",
            "fulfil_by",
            "closed_at",
            "decided_by",
            "decision_reason",
        ]

    @extend_schema_field(ClaimHouseholdSerializer(allow_null=True))
    def get_household(self, obj: Claim) -> dict[str, Any] | None:
        if not _viewer(self.context).sees_household(obj.household):
            return None
        return {"id": obj.household_id, "code": obj.household.code}

    def get_household_district(self, obj: Claim) -> str | None:
        return _viewer(self.context).district_name(obj.household.dong)


class ClaimCreateSerializer(serializers.Serializer):
    listing = StrictPrimaryKeyRelatedField(queryset=Listing.objects.all())
    household = StrictPrimaryKeyRelatedField(
        queryset=Household.objects.none(), help_text=_("Id of a household in your regions")
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    justification = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        help_text=_("Required when the household had this category in the duplicate window"),
        validators=[validate_no_personal_numbers],
    )

    def __init__(self, *args: Any, user=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A household the user may not claim for is "not found", never "forbidden":
        # its existence is not theirs to learn.
        self.fields["household"].queryset = households_visible_to(user)


class ClaimDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        validators=[validate_no_personal_numbers],
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT, validators=[validate_no_personal_numbers])


class FulfilSerializer(serializers.Serializer):
    quantity_received = serializers.IntegerField(
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text=_("Units (for volunteering: hours) actually received, at most the claimed"),
    )


class ClaimMessageSerializer(serializers.ModelSerializer):
    side = serializers.ChoiceField(choices=MessageSide.choices, read_only=True)
    office = serializers.CharField(
        read_only=True, help_text=_("The author's office when the message was written")
    )
    office_phone = serializers.CharField(
        read_only=True, help_text=_("The author's office phone when the message was written")
    )

    class Meta:
        model = ClaimMessage
        fields = ["id", "side", "office", "office_phone", "body", "created_at"]
        read_only_fields = fields


class ClaimMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_(
            "At most 2,000 characters; no registration number and no phone number "
            "other than an office's"
        ),
    )


class ClaimViewSet(ViewerMixin, viewsets.ReadOnlyModelViewSet):
    """Claims for households you manage or on listings you coordinate. A claim
    past its deadline is shown (and filtered) as expired; reading writes
    nothing, and an action on it expires it first."""

    serializer_class = ClaimSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = ClaimFilter
    ordering_fields = ["requested_at", "state"]

    def get_queryset(self) -> QuerySet[Claim]:
        return (
            claims_visible_to(self.request.user)
            .with_effective_state()
            .select_related("requested_by", "decided_by")
        )

    def _answer(self, claim: Claim, status_code: int = status.HTTP_200_OK) -> Response:
        claim = self.get_queryset().get(pk=claim.pk)
        return Response(self.get_serializer(claim).data, status=status_code)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claims = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(claims)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=ClaimCreateSerializer,
        responses={201: ClaimSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=_(
                    "Repeating a request with the same key returns the first claim; "
                    "the same key with a different request is 409 idempotency_conflict."
                ),
            )
        ],
    )
    def create(self, request: Request) -> Response:
        """Claim part of a listing for a household of your regions."""
        # The user's posts are read once for the whole request: the role check,
        # the households they may name, the service's permission and the answer.
        with posts_read_once(request.user):
            return self._create(request)

    def _create(self, request: Request) -> Response:
        _require_role(
            request.user,
            Role.CASE_MANAGER,
            _("You can claim only for households in your own regions."),
        )
        key = idempotency_key(request)
        serializer = ClaimCreateSerializer(data=request.data, user=request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = claim_request(
            by=request.user,
            listing=data["listing"],
            household=data["household"],
            quantity=data["quantity"],
            justification=data.get("justification", ""),
            idempotency_key=key,
        )
        if getattr(claim, "effective_state", None) is None:
            # A replay answers with the claim as it is now (it may have moved on).
            return self._answer(claim, status.HTTP_201_CREATED)
        # A claim just made is answered from the service's object, not read again:
        # it is for a household this user manages (the service checked), so it is
        # theirs to see; its listing, regions and household came loaded.
        return Response(self.get_serializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClaimDecisionSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """A coordinator of the listing's region agrees to hand it over."""
        body = ClaimDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = claim_approve(
            claim=self.get_object(), by=request.user, reason=body.validated_data.get("reason", "")
        )
        return self._answer(claim)

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """A coordinator of the listing's region declines; the held points return."""
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = claim_reject(
            claim=self.get_object(), by=request.user, reason=body.validated_data["reason"]
        )
        return self._answer(claim)

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Either side calls a requested or approved claim off; the held points return."""
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = claim_cancel(
            claim=self.get_object(), by=request.user, reason=body.validated_data["reason"]
        )
        return self._answer(claim)

    @extend_schema(request=FulfilSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request: Request, pk: str | None = None) -> Response:
        """The case manager confirms what was received; that part is paid."""
        body = FulfilSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = claim_fulfil(
            claim=self.get_object(),
            by=request.user,
            quantity_received=body.validated_data["quantity_received"],
        )
        return self._answer(claim)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=ClaimMessageSerializer(many=True),
        description=_(
            "The claim's messages, oldest first: to its case managers, the coordinators "
            "of the listing's region and the representatives of the match's donor. "
            "Finance sees the claim but not its messages (403)."
        ),
    )
    @extend_schema(
        methods=["POST"],
        request=ClaimMessageCreateSerializer,
        responses={201: ClaimMessageSerializer},
        description=_(
            "Write to the claim's other offices. Refused on a rejected, cancelled or "
            "expired claim (409 illegal_transition)."
        ),
    )
    # The thread is one whole list (a claim has a handful of messages), not pages.
    @action(detail=True, methods=["get", "post"], url_path="messages", pagination_class=None)
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """The claim's message thread between its offices and its donor."""
        claim = self.get_object()
        if claim_message_side(claim, request.user) is None:
            raise NotAllowed(
                str(_("Only the offices of this claim and its donor may read its messages."))
            )
        if request.method == "GET":
            thread = claim_thread(claim)
            return Response(ClaimMessageSerializer(thread, many=True).data)
        body = ClaimMessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = claim_message_post(claim, request.user, body.validated_data["body"])
        return Response(ClaimMessageSerializer(message).data, status=status.HTTP_201_CREATED)
