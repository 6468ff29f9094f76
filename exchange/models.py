"""Design overview: the exchange.

The exchange app owns what ties the other apps together: claims (a case
manager asking for part of a listing for one household) and matches (the
private half of a cross-region claim's cost, paid from a donor's pledge under
the 5:5 rule), and the workflow that moves them (`services.py`), their cost
and its funding (`funding.py`) and the one lock order (`locks.py`).

Dependencies run one way (tests/test_layering.py):
exchange → donors → marketplace → {ledger, audit} → {people, regions} → config.
The lower apps offer primitives that know nothing of claims:
`marketplace.services.listing_hold_units` / `listing_release_units` /
`listing_fulfil_units`, `donors.services.pledge_hold` / `pledge_settle` /
`pledge_release`, the ledger's holds.

The tables kept their names when the models moved here ("marketplace_claim",
"donors_match"); the migrations only moved the models' state.

Invariants:
- A listing's `quantity_held` is the sum of the quantities of its active
  (requested or approved) claims and `quantity_fulfilled` the sum received on
  fulfilled claims (changed only by the claim services, under the listing's
  lock).
- A claim records its cost when it is made (points per unit × quantity), so a
  later change of KRW_PER_POINT does not change what was agreed.
- A cross-region claim with a cost is approved only once its match is
  committed: a django-fsm condition of `Claim.approve`, so the buttons, the
  API and the service agree.
- Reads never expire anything: an overdue claim is shown expired through
  `Claim.objects.with_effective_state()`; `expire_due` (and every write
  service, under its locks) expires it for real.
- A claim's messages (`ClaimMessage`, the thread between the claiming office,
  the providing office and the match's donor) are append-only: written once by
  `services.claim_message_post`, never changed or deleted. Each keeps the
  author's office and office phone as they were when it was written, and never
  names the household.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from donors.permissions import donors_represented
from people.models import Role
from people.permissions import may_act


class ClaimState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    FULFILLED = "fulfilled", _("Fulfilled")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


ACTIVE_CLAIM_STATES = (ClaimState.REQUESTED, ClaimState.APPROVED)


class MatchState(models.TextChoices):
    PENDING = "pending", _("Waiting for a donor")
    COMMITTED = "committed", _("Committed")
    SETTLED = "settled", _("Settled")
    EXPIRED = "expired", _("Expired")
    RELEASED = "released", _("Released")


def overdue_q(now: datetime.datetime, prefix: str = "") -> Q:
    """The one rule of when an active claim is overdue: not approved by
    `approve_by`, not fulfilled by `fulfil_by`, or its match still waiting for a
    donor at its deadline. `prefix` reads it through a relation ("claim__")."""
    p = prefix
    return (
        Q(**{f"{p}state": ClaimState.REQUESTED, f"{p}approve_by__lte": now})
        | Q(**{f"{p}state": ClaimState.APPROVED, f"{p}fulfil_by__lte": now})
        | Q(
            **{
                f"{p}state": ClaimState.REQUESTED,
                f"{p}match__state": MatchState.PENDING,
                f"{p}match__deadline__lte": now,
            }
        )
    )


class ClaimQuerySet(models.QuerySet):
    def overdue(self, now: datetime.datetime | None = None) -> ClaimQuerySet:
        """Active claims past a deadline (to be expired by `expire_due`)."""
        return self.filter(overdue_q(now or timezone.now()))

    def with_effective_state(self, now: datetime.datetime | None = None) -> ClaimQuerySet:
        """Annotate `effective_state`: the state, or "expired" for an active
        claim past a deadline that `expire_due` has not expired yet. Pages and
        API reads show this, and write nothing."""
        return self.annotate(
            effective_state=Case(
                When(overdue_q(now or timezone.now()), then=models.Value(ClaimState.EXPIRED)),
                default=F("state"),
                output_field=models.CharField(),
            )
        )


def _is_household_case_manager(claim: Claim, user) -> bool:
    return may_act(user, Role.CASE_MANAGER, claim.household.dong)


def _is_claim_listing_coordinator(claim: Claim, user) -> bool:
    return may_act(user, Role.COORDINATOR, claim.listing.region)


def _may_cancel(claim: Claim, user) -> bool:
    return _is_household_case_manager(claim, user) or _is_claim_listing_coordinator(claim, user)


def is_funded(claim: Claim) -> bool:
    """A cross-region claim with a cost may be approved only once a donor's
    pledge has committed its private half (its match is committed). A local
    handover, or a claim worth nothing, needs no match."""
    if not (claim.is_exchange and claim.cost_points):
        return True
    try:
        return claim.match.state == MatchState.COMMITTED
    except ObjectDoesNotExist:
        return False


class Claim(ConcurrentTransitionMixin, models.Model):
    listing = models.ForeignKey(
        "marketplace.Listing",
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    household = models.ForeignKey(
        "marketplace.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    quantity_received = models.PositiveIntegerField(_("quantity received"), null=True, blank=True)
    points_per_unit = models.PositiveIntegerField(_("points per unit"))
    cost_points = models.PositiveBigIntegerField(_("cost in points"))
    is_exchange = models.BooleanField(
        _("exchange between regions"),
        help_text=_("False for a local handover within one exchange region: no points move."),
    )
    claimant_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("claiming exchange region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    provider_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("providing exchange region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = FSMField(
        _("state"),
        default=ClaimState.REQUESTED,
        choices=ClaimState.choices,
        protected=True,
        db_index=True,
    )
    justification = models.TextField(_("justification for a repeated service"), blank=True)
    duplicate_flag = models.BooleanField(_("repeated service, for review"), default=False)
    hold = models.OneToOneField(
        "ledger.Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="claim"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approve_by = models.DateTimeField(_("approve by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    fulfil_by = models.DateTimeField(_("fulfil by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    idempotency_key = models.CharField(max_length=128, unique=True, null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        db_table = "marketplace_claim"
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="claim_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_received__isnull=True)
                | models.Q(quantity_received__lte=models.F("quantity")),
                name="claim_received_at_most_claimed",
            ),
        ]
        indexes = [
            # Named as it was created in the marketplace app, where the table began.
            models.Index(fields=["household", "state"], name="marketplace_househo_e09e43_idx")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.listing} ×{self.quantity}"

    @property
    def points_paid(self) -> int | None:
        """Points that moved for this claim: fulfilment pays the points per unit
        recorded at the request for each unit received (claim_fulfil); None
        before fulfilment. A local handover pays nothing."""
        if self.state != ClaimState.FULFILLED or self.quantity_received is None:
            return None
        return self.points_per_unit * self.quantity_received if self.is_exchange else 0

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        """This claim, as stored, is past a deadline (the rule of `overdue_q`)."""
        return Claim.objects.filter(pk=self.pk).overdue(now).exists()

    @transition(
        field=state,
        source=ClaimState.REQUESTED,
        target=ClaimState.APPROVED,
        permission=_is_claim_listing_coordinator,
        conditions=[is_funded],
    )
    def approve(self) -> None:
        """A coordinator of the listing's region agrees to hand it over (a
        cross-region claim only once its match is committed)."""

    @transition(
        field=state,
        source=ClaimState.REQUESTED,
        target=ClaimState.REJECTED,
        permission=_is_claim_listing_coordinator,
    )
    def reject(self) -> None:
        """A coordinator of the listing's region declines; the hold returns."""

    @transition(
        field=state,
        source=list(ACTIVE_CLAIM_STATES),
        target=ClaimState.CANCELLED,
        permission=_may_cancel,
    )
    def cancel(self) -> None:
        """Either side calls it off; the hold returns."""

    @transition(
        field=state,
        source=ClaimState.APPROVED,
        target=ClaimState.FULFILLED,
        permission=_is_household_case_manager,
    )
    def fulfil(self) -> None:
        """The case manager confirms what was actually received."""

    @transition(field=state, source=list(ACTIVE_CLAIM_STATES), target=ClaimState.EXPIRED)
    def expire(self) -> None:
        """Not approved or not fulfilled in time (expire_due, or a write service
        that finds it overdue under its locks)."""


def _may_commit(match: Match, user) -> bool:
    return donors_represented(user).exists()


class Match(ConcurrentTransitionMixin, models.Model):
    """The private half of one cross-region claim (the 5:5 rule)."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="match")
    public_points = models.PositiveBigIntegerField(_("public share"))
    private_points = models.PositiveBigIntegerField(_("private share"))
    pledge = models.ForeignKey(
        "donors.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matches",
    )
    hold = models.OneToOneField(
        "ledger.Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="match"
    )
    state = FSMField(
        _("state"),
        default=MatchState.PENDING,
        choices=MatchState.choices,
        protected=True,
        db_index=True,
    )
    deadline = models.DateTimeField(_("commit by"))
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "donors_match"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")

    def __str__(self) -> str:
        return f"match of claim #{self.claim_id} ({self.state})"

    @transition(
        field=state, source=MatchState.PENDING, target=MatchState.COMMITTED, permission=_may_commit
    )
    def commit(self) -> None:
        """A pledge takes on the private share (automatically or from the donor portal)."""

    @transition(field=state, source=MatchState.COMMITTED, target=MatchState.SETTLED)
    def settle(self) -> None:
        """The claim was fulfilled; the received part is paid."""

    @transition(field=state, source=MatchState.PENDING, target=MatchState.EXPIRED)
    def expire(self) -> None:
        """No donor committed in time; the claim expires with it."""

    @transition(
        field=state, source=[MatchState.PENDING, MatchState.COMMITTED], target=MatchState.RELEASED
    )
    def release(self) -> None:
        """The claim was cancelled, rejected or expired."""


class MessageSide(models.TextChoices):
    """From which side of a claim a message was written."""

    CLAIMANT = "claimant", _("Claiming office")
    PROVIDER = "provider", _("Providing office")
    DONOR = "donor", _("Donor")


#: The longest message body, in characters.
MESSAGE_MAX_LENGTH = 2000


class ClaimMessage(models.Model):
    """One message of a claim's thread, to arrange the handover. Append-only."""

    claim = models.ForeignKey(
        Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    side = models.CharField(_("side"), max_length=16, choices=MessageSide.choices)
    # As they were when the message was written: people change posts and offices.
    office = models.CharField(_("office"), max_length=100, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=20, blank=True)
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("claim message")
        verbose_name_plural = _("claim messages")
        indexes = [models.Index(fields=["claim", "created_at"], name="claim_message_thread_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(body=""), name="claim_message_not_empty"),
            models.CheckConstraint(
                condition=models.Q(side__in=[choice.value for choice in MessageSide]),
                name="claim_message_side_known",
            ),
        ]

    def __str__(self) -> str:
        return f"message #{self.pk} on claim #{self.claim_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A claim message is never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("A claim message is never deleted.")
