"""REST API of the ledger.

Finance staff read everything and propose and decide grants and corrections
(four-eyes). A region's coordinators and case managers read their own exchange
region's wallet and its statement, nothing else.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.filters import TransactionFilter
from ledger.forms import EARLIEST_DATE, LATEST_DATE
from ledger.models import (
    Account,
    Entry,
    OwnerKind,
    Proposal,
    ProposalKind,
    Purpose,
    Transaction,
    with_donor_names,
)
from ledger.selectors import account_statement, trial_balance
from ledger.services import (
    proposal_approve,
    proposal_correction_create,
    proposal_grant_create,
    proposal_reject,
)
from people.permissions import active_memberships, is_finance
from regions.models import Region
from regions.selectors import exchange_region

IDEMPOTENCY_HEADER = "Idempotency-Key"


class IsFinance(permissions.BasePermission):
    message = _("Only finance staff may do this.")

    def has_permission(self, request, view) -> bool:
        return is_finance(request.user)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return None
    if len(key) > 128:
        raise serializers.ValidationError(
            {IDEMPOTENCY_HEADER: [_("An idempotency key is at most 128 characters.")]}
        )
    return key


def visible_accounts(user) -> QuerySet[Account]:
    """Finance sees every account; a coordinator or case manager the wallets of
    the exchange regions of their current posts."""
    accounts = Account.objects.select_related("region")
    if is_finance(user):
        return accounts
    codes = {
        region.code
        for membership in active_memberships(user)
        if (region := exchange_region(membership.region)) is not None
    }
    if not codes:
        return accounts.none()
    return accounts.filter(
        owner_kind=OwnerKind.REGION, purpose=Purpose.WALLET, region__code__in=codes
    )


class AccountSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "code",
            "label",
            "owner_kind",
            "region",
            "donor_id",
            "purpose",
            "allow_negative",
            "balance",
            "sequence",
        ]


class StatementEntrySerializer(serializers.ModelSerializer):
    transaction = serializers.IntegerField(source="transaction_id")
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")

    class Meta:
        model = Entry
        fields = ["sequence", "posted_at", "transaction", "kind", "memo", "amount", "balance_after"]


class EntrySerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Entry
        fields = ["account", "amount", "sequence", "balance_after", "prev_hash", "hash"]


class TransactionSerializer(serializers.ModelSerializer):
    entries = EntrySerializer(many=True, read_only=True)
    posted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    object_type = serializers.SerializerMethodField()
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "kind",
            "memo",
            "posted_at",
            "posted_by",
            "object_type",
            "object_id",
            "idempotency_key",
            "reverses",
            "reversed_by",
            "entries",
        ]

    def get_object_type(self, obj: Transaction) -> str | None:
        return obj.object_type.model if obj.object_type_id else None

    def get_reversed_by(self, obj: Transaction) -> int | None:
        reversal = getattr(obj, "reversed_by", None)
        return reversal.pk if reversal else None


def _within_ledger_dates(day: datetime.date) -> datetime.date:
    # The finance pages' range: a day far outside it names no ledger entry, and
    # the last day's end (the next midnight) of 9999-12-31 cannot be computed.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise serializers.ValidationError(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
            code="out_of_range",
        )
    return day


class StatementSerializer(serializers.Serializer):
    """An account's statement over a range of days: one page of its entries."""

    account = AccountSerializer()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    opening_balance = serializers.IntegerField()
    closing_balance = serializers.IntegerField()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StatementEntrySerializer(many=True)


class TrialBalanceAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    balance = serializers.IntegerField()


class TrialBalanceGroupSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    owner_kind = serializers.CharField()
    total = serializers.IntegerField()
    accounts = TrialBalanceAccountSerializer(many=True)


class TrialBalanceSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    balanced = serializers.BooleanField()
    account_count = serializers.IntegerField()
    groups = TrialBalanceGroupSerializer(many=True)


class StatementQuery(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text=_("First day (inclusive)"), validators=[_within_ledger_dates]
    )
    end = serializers.DateField(
        required=False, help_text=_("Last day (inclusive)"), validators=[_within_ledger_dates]
    )

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end is before the start.")]})
        return attrs


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Ledger accounts with their O(1) cached balances."""

    serializer_class = AccountSerializer
    filterset_fields = ["purpose", "owner_kind"]
    search_fields = ["code", "region__name_ko", "region__name_en"]
    ordering_fields = ["code", "balance"]

    def get_queryset(self):
        return visible_accounts(self.request.user).order_by("code")

    def paginate_queryset(self, queryset):
        # Donor accounts are labelled with the donor's name: one query for the page.
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":
            with_donor_names(page)
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="first day, inclusive"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="last day, inclusive"),
            OpenApiParameter("page", OpenApiTypes.INT, description="page number, from 1"),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="entries per page"),
        ],
        responses=StatementSerializer,
    )
    @action(detail=True, methods=["get"])
    def statement(self, request: Request, pk=None) -> Response:
        """Entries oldest first with the running balance, and the opening and
        closing balances of the range (days in Asia/Seoul)."""
        account = self.get_object()
        query = StatementQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data.get("start"), query.validated_data.get("end")
        statement = account_statement(
            account,
            start=_day_start(start) if start else None,
            end=_day_start(end + datetime.timedelta(days=1)) if end else None,
        )
        page = self.paginate_queryset(statement.entries)
        response = self.get_paginated_response(StatementEntrySerializer(page, many=True).data)
        response.data = {
            "account": AccountSerializer(account).data,
            "start": start,
            "end": end,
            "opening_balance": statement.opening,
            "closing_balance": statement.closing,
            **response.data,
        }
        return response


class TransactionViewSet(viewsets.ReadOnlyModelViewSet):
    """Every ledger transaction with its entries (finance only)."""

    serializer_class = TransactionSerializer
    permission_classes = [IsFinance]
    filterset_class = TransactionFilter
    search_fields = ["memo"]

    def get_queryset(self):
        return (
            Transaction.objects.select_related("posted_by", "object_type", "reversed_by")
            .prefetch_related("entries__account")
            .order_by("-posted_at", "-pk")
        )


class TrialBalanceView(APIView):
    """Every account grouped by purpose and owner; the total is always zero."""

    permission_classes = [IsFinance]

    @extend_schema(responses=TrialBalanceSerializer)
    def get(self, request: Request) -> Response:
        tb = trial_balance()
        return Response(
            {
                "total": tb.total,
                "balanced": tb.balanced,
                "account_count": tb.account_count,
                "groups": [
                    {
                        "purpose": group.purpose,
                        "owner_kind": group.owner_kind,
                        "total": group.total,
                        "accounts": [
                            {"id": a.pk, "code": a.code, "balance": a.balance}
                            for a in group.accounts
                        ],
                    }
                    for group in tb.groups
                ],
            }
        )


class ProposalSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    target = serializers.PrimaryKeyRelatedField(
        queryset=Transaction.objects.all(), required=False, allow_null=True
    )
    amount = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Proposal
        fields = [
            "id",
            "kind",
            "region",
            "amount",
            "target",
            "reason",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "posted",
        ]
        read_only_fields = ["status", "proposed_at", "decided_at", "decision_note", "posted"]

    def validate(self, attrs):
        if attrs["kind"] == ProposalKind.GRANT:
            errors = {}
            if not attrs.get("region"):
                errors["region"] = [_("A grant names the region that receives the points.")]
            if not attrs.get("amount"):
                errors["amount"] = [_("A grant is a positive whole number of points.")]
            if attrs.get("target"):
                errors["target"] = [_("A grant does not correct a transaction.")]
            if errors:
                raise serializers.ValidationError(errors)
        else:
            if not attrs.get("target"):
                raise serializers.ValidationError(
                    {"target": [_("A correction names the transaction to reverse.")]}
                )
            if attrs.get("region") or attrs.get("amount"):
                raise serializers.ValidationError(
                    {
                        "target": [
                            _(
                                "A correction reverses a whole transaction; "
                                "give no region or amount."
                            )
                        ]
                    }
                )
        return attrs


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProposalViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Grant and correction proposals: one finance user proposes, a different
    one approves (then it is posted) or rejects. Creation accepts an
    Idempotency-Key header."""

    serializer_class = ProposalSerializer
    permission_classes = [IsFinance]
    filterset_fields = ["kind", "status"]

    def get_queryset(self):
        return Proposal.objects.select_related(
            "region", "target", "proposed_by", "decided_by", "posted"
        ).order_by("-proposed_at", "-pk")

    @extend_schema(
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER)]
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = idempotency_key(request)
        if data["kind"] == ProposalKind.GRANT:
            proposal = proposal_grant_create(
                region=data["region"],
                amount=data["amount"],
                reason=data["reason"],
                by=request.user,
                idempotency_key=key,
            )
        else:
            proposal = proposal_correction_create(
                target=data["target"],
                reason=data["reason"],
                by=request.user,
                idempotency_key=key,
            )
        return Response(self.get_serializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        """Approve and post; 403 `four_eyes` for the proposer."""
        note = DecisionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        proposal = proposal_approve(
            proposal=self.get_object(), by=request.user, note=note.validated_data["note"]
        )
        return Response(self.get_serializer(proposal).data)

    @extend_schema(request=DecisionSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        """Reject; nothing is posted. 403 `four_eyes` for the proposer."""
        note = DecisionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        proposal = proposal_reject(
            proposal=self.get_object(), by=request.user, note=note.validated_data["note"]
        )
        return Response(self.get_serializer(proposal).data)
