"""REST API of donors and matching: `donors`, `pledges` and `matches`.

Finance staff see every donor, pledge and match, register and verify donors
and confirm pledges. A donor representative sees only the donors they
represent, their pledges, the matches of those pledges and the pending
matches those pledges could fund; they keep the donor's contact up to date,
pledge (with an `Idempotency-Key` header), withdraw pledges and commit
matches. Anyone else sees empty lists and 404 for every row.

A match shows what was claimed (category), the claiming district and the
points, never the household. Money is whole won as a JSON integer
(`amount_krw`), never a float. Every write calls one service; their errors
keep their codes (409 `not_matched`, `pledge_not_eligible`,
`donor_not_verified`, `illegal_transition`, `idempotency_conflict`; 403
`permission_denied`; 400 `invalid` with `fields`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.exceptions import NotAllowed
from config.fields import StrictPrimaryKeyRelatedField, api_field_names
from donors.filters import DonorFilter, PledgeFilter
from donors.models import Donor, DonorKind, Pledge
from donors.permissions import donors_represented
from donors.services import (
    CONTACT_FIELDS,
    DONOR_FIELDS,
    donor_register,
    donor_update,
    donor_verify,
    pledge_confirm,
    pledge_create,
    pledge_withdraw,
)
from donors.validators import normalize_brn, validate_brn
from exchange.donor_selectors import matches_visible_to, private_points_paid
from exchange.filters import MatchFilter
from exchange.models import Match
from exchange.services import match_commit
from ledger.api import IDEMPOTENCY_HEADER, idempotency_key
from marketplace.models import Category
from people.permissions import is_finance
from regions.models import Region

ID_PATTERN = r"[0-9]+"
#: One pledge larger than this is surely a typing mistake (and stays far inside
#: the 14 digits the amount column holds).
MAX_PLEDGE_KRW = 10**12
MAX_TEXT = 1000


class WonField(serializers.IntegerField):
    """Whole won as a JSON integer, held as Money in KRW."""

    def to_representation(self, value: Money) -> int:
        return int(value.amount)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool | float):
            self.fail("invalid")
        return super().to_internal_value(data)

    def run_validation(self, data: Any = serializers.empty) -> Money | None:
        # The bounds are checked on the whole number; Money comes after.
        value = super().run_validation(data)
        return None if value is None else Money(value, "KRW")


# --- donors -----------------------------------------------------------------------------


class DonorSerializer(serializers.ModelSerializer):
    business_number = serializers.CharField(
        max_length=20,
        help_text=_("Business registration number, ten digits, hyphens allowed (123-45-67890)"),
    )
    home_region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text=_("Code of the home region")
    )
    kind = serializers.ChoiceField(choices=DonorKind.choices)
    is_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = Donor
        fields = ["id", *DONOR_FIELDS, "is_verified", "verified_at", "created_at"]
        read_only_fields = ["verified_at", "created_at"]

    def validate_business_number(self, value: str) -> str:
        validate_brn(value)
        number = normalize_brn(value)
        taken = Donor.objects.filter(business_number=number)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                _("A donor with this business registration number is already registered.")
            )
        return number

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        if not is_finance(request.user):
            kept = {
                name: [_("Only finance staff may change this.")]
                for name in attrs
                if name not in CONTACT_FIELDS
            }
            if kept:
                raise serializers.ValidationError(kept)
        return attrs


class DonorViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Donor organisations. Finance sees and registers every donor and verifies
    them; a representative sees the donors they represent and keeps their
    contact (`contact_name`, `contact_email`) up to date."""

    serializer_class = DonorSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = DonorFilter
    search_fields = ["name", "business_number"]
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Donor]:
        user = self.request.user
        donors = Donor.objects.all() if is_finance(user) else donors_represented(user)
        return donors.select_related("home_region").order_by("name", "pk")

    @extend_schema(responses={201: DonorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Register a donor (finance)."""
        if not is_finance(request.user):
            raise NotAllowed(_("Only finance staff may register a donor."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: DonorSerializer) -> None:
        serializer.instance = donor_register(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: DonorSerializer) -> None:
        serializer.instance = donor_update(
            donor=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a donor: a representative the contact fields only, finance any field."""
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses=DonorSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Finance confirms the donor is who it says it is; its pledges can then be confirmed."""
        donor = donor_verify(donor=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=donor.pk)).data)


# --- pledges -------------------------------------------------------------------------------


class PledgeSerializer(serializers.ModelSerializer):
    donor = serializers.PrimaryKeyRelatedField(read_only=True)
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    amount_krw = WonField(source="amount", read_only=True, help_text=_("Whole won"))
    points_remaining = serializers.IntegerField(read_only=True)
    preferred_categories = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    preferred_districts = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id",
            "donor",
            "donor_name",
            "state",
            "amount_krw",
            "points",
            "points_remaining",
            "points_held",
            "points_used",
            "points_returned",
            "preferred_categories",
            "preferred_districts",
            "cap_per_claim",
            "valid_until",
            "created_at",
            "confirmed_at",
        ]
        read_only_fields = fields


class PledgeCreateSerializer(serializers.Serializer):
    donor = StrictPrimaryKeyRelatedField(
        queryset=Donor.objects.none(), help_text=_("Id of a donor you represent")
    )
    amount_krw = WonField(
        min_value=-MAX_PLEDGE_KRW,
        max_value=MAX_PLEDGE_KRW,
        help_text=_("Whole won, a multiple of the won per point"),
    )
    valid_until = serializers.DateField()
    preferred_categories = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.all(), many=True, required=False
    )
    preferred_districts = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        many=True,
        required=False,
        help_text=_("Codes of districts"),
    )
    cap_per_claim = serializers.IntegerField(
        required=False, allow_null=True, max_value=MAX_PLEDGE_KRW
    )

    def __init__(self, *args: Any, user=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A donor the user does not act for is "not found": its existence is not theirs to learn.
        self.fields["donor"].queryset = (
            Donor.objects.all() if is_finance(user) else donors_represented(user)
        )


class PledgeWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


#: The services name the model's field; the API calls it by its unit.
PLEDGE_FIELD_NAMES = {"amount": "amount_krw"}


class PledgeViewSet(viewsets.ReadOnlyModelViewSet):
    """Pledges of matching money. Finance sees all and confirms them once the
    money arrived; a representative sees their donors' pledges, pledges and
    withdraws (only the part not held by claims returns)."""

    serializer_class = PledgeSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = PledgeFilter
    ordering_fields = ["created_at", "valid_until"]

    def get_queryset(self) -> QuerySet[Pledge]:
        user = self.request.user
        pledges = Pledge.objects.all()
        if not is_finance(user):
            pledges = pledges.filter(donor__in=donors_represented(user))
        return (
            pledges.select_related("donor")
            .prefetch_related("preferred_categories", "preferred_districts")
            .order_by("-created_at", "-pk")
        )

    def _answer(self, pledge: Pledge, status_code: int = status.HTTP_200_OK) -> Response:
        pledge = self.get_queryset().get(pk=pledge.pk)
        return Response(self.get_serializer(pledge).data, status=status_code)

    @extend_schema(
        request=PledgeCreateSerializer,
        responses={201: PledgeSerializer},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=str(
                    _(
                        "Repeating a request with the same key returns the first pledge; "
                        "the same key with a different request is 409 idempotency_conflict."
                    )
                ),
            )
        ],
    )
    def create(self, request: Request) -> Response:
        """Pledge for a donor you represent; it counts once finance confirms it."""
        user = request.user
        if not (is_finance(user) or donors_represented(user).exists()):
            raise NotAllowed(_("Only a representative of this donor may pledge for it."))
        key = idempotency_key(request)
        body = PledgeCreateSerializer(data=request.data, user=user)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with api_field_names(PLEDGE_FIELD_NAMES):
            pledge = pledge_create(
                by=user,
                donor=data["donor"],
                amount=data["amount_krw"],
                valid_until=data["valid_until"],
                preferred_categories=data.get("preferred_categories", ()),
                preferred_districts=data.get("preferred_districts", ()),
                cap_per_claim=data.get("cap_per_claim"),
                idempotency_key=key,
            )
        return self._answer(pledge, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PledgeSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Finance confirms the money arrived: the points are issued to the donor
        (409 `donor_not_verified` for a donor finance has not verified)."""
        return self._answer(pledge_confirm(pledge=self.get_object(), by=request.user))

    @extend_schema(request=PledgeWithdrawSerializer, responses=PledgeSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Close the pledge: the points not held by claims return at once."""
        body = PledgeWithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pledge = pledge_withdraw(
            pledge=self.get_object(), by=request.user, reason=body.validated_data.get("reason", "")
        )
        return self._answer(pledge)


# --- matches -------------------------------------------------------------------------------


class MatchSerializer(serializers.ModelSerializer):
    """A match as a donor may see it: what was claimed and where, and the points.
    Never the household."""

    claim = serializers.IntegerField(source="claim_id", read_only=True)
    claim_state = serializers.CharField(source="claim.state", read_only=True)
    category = serializers.CharField(source="claim.listing.category.code", read_only=True)
    category_name = serializers.SerializerMethodField()
    district = serializers.CharField(
        source="claim.claimant_region.code",
        read_only=True,
        help_text=_("Code of the claiming district"),
    )
    district_name = serializers.SerializerMethodField()
    cost_points = serializers.IntegerField(source="claim.cost_points", read_only=True)
    pledge = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    donor = serializers.IntegerField(
        source="pledge.donor_id", read_only=True, allow_null=True, default=None
    )
    points_paid = serializers.SerializerMethodField(
        help_text=_("Points the pledge paid, once the claim is fulfilled")
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "state",
            "claim",
            "claim_state",
            "category",
            "category_name",
            "district",
            "district_name",
            "cost_points",
            "public_points",
            "private_points",
            "pledge",
            "donor",
            "points_paid",
            "deadline",
            "committed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_category_name(self, obj: Match) -> str:
        return obj.claim.listing.category.name

    def get_district_name(self, obj: Match) -> str:
        return obj.claim.claimant_region.name

    def get_points_paid(self, obj: Match) -> int | None:
        return private_points_paid(obj) if obj.state == "settled" else None


class CommitSerializer(serializers.Serializer):
    pledge = StrictPrimaryKeyRelatedField(
        queryset=Pledge.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Id of one of your pledges; the one expiring first when left out"),
    )

    def __init__(self, *args: Any, user=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pledge"].queryset = Pledge.objects.filter(donor__in=donors_represented(user))


class MatchViewSet(viewsets.ReadOnlyModelViewSet):
    """The private halves of claims between districts. Finance sees all; a
    representative the matches of their donors' pledges and the pending matches
    those pledges could fund, and commits one of them."""

    serializer_class = MatchSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = MatchFilter
    ordering_fields = ["created_at", "deadline"]

    def get_queryset(self) -> QuerySet[Match]:
        return matches_visible_to(self.request.user)

    @extend_schema(request=CommitSerializer, responses=MatchSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        """Commit a pending match with one of your pledges (409
        `pledge_not_eligible` when none of them fits, `illegal_transition` when it
        no longer waits). The claim can then be approved."""
        match = self.get_object()
        body = CommitSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        match = match_commit(match=match, by=request.user, pledge=body.validated_data.get("pledge"))
        match = Match.objects.select_related(
            "claim__listing__category", "claim__claimant_region", "pledge", "hold"
        ).get(pk=match.pk)
        return Response(self.get_serializer(match).data)
