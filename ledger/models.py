"""Design overview: the welfare-point ledger (복지 포인트 원장).

The ledger app owns accounts, transactions and entries: an append-only,
double-entry book of welfare points, and the holds and grant proposals built
on it. Every movement of points is one balanced `Transaction`; nothing else
changes a balance.

Accounts belong to a region, a donor or the system and have a purpose:

- `region:<code>:wallet`  a region's points (never below zero)
- `donor:<id>:match`      a donor's pledged points (never below zero)
- `system:issued`         where new points come from (goes negative)
- `system:holds`          points reserved for pending claims (never below zero)
- `system:redeemed`       points consumed by fulfilled claims

Invariants:
- Entries of a transaction are whole, non-zero amounts (credit positive) that
  sum to zero, and there are at least two.
- An account's cached `balance` is the sum of its entries, `sequence` their
  count, and `head_hash` the hash of its last entry. Each entry stores the
  account's sequence and balance after it and a SHA-256 hash over its content
  and the previous entry's hash: a hash chain per account, so posting needs no
  global lock and any later change to an entry is detectable.
- An account without `allow_negative` never goes below zero (checked while
  posting under row locks, and by a database constraint).
- Transactions and entries are never updated or deleted: database triggers
  refuse it (PostgreSQL also refuses TRUNCATE and, at commit, a transaction
  whose entries do not sum to zero), and so do `save()` and `delete()`.
  A mistake is corrected by a reversing transaction (`reverses`, at most once).

Only `ledger.services.ledger_post` writes transactions and entries.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from ledger.exceptions import AppendOnlyError

GENESIS_HASH = "0" * 64


class Purpose(models.TextChoices):
    WALLET = "wallet", _("Wallet")
    MATCH = "match", _("Matching fund")
    ISSUED = "issued", _("Issued")
    HOLDS = "holds", _("Holds")
    REDEEMED = "redeemed", _("Redeemed")


class OwnerKind(models.TextChoices):
    SYSTEM = "system", _("System")
    REGION = "region", _("Region")
    DONOR = "donor", _("Donor")


class Account(models.Model):
    # The natural key, derived from owner and purpose ("region:3017000000:wallet");
    # its uniqueness is what keeps `account_for` from ever creating a twin.
    code = models.CharField(_("account code"), max_length=64, unique=True)
    owner_kind = models.CharField(_("owner"), max_length=10, choices=OwnerKind.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    donor_id = models.BigIntegerField(_("donor"), null=True, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    allow_negative = models.BooleanField(_("may go below zero"), default=False)
    balance = models.BigIntegerField(_("balance"), default=0)
    sequence = models.BigIntegerField(_("entries"), default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allow_negative=True) | models.Q(balance__gte=0),
                name="ledger_account_not_below_zero",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        owner_kind=OwnerKind.SYSTEM, region__isnull=True, donor_id__isnull=True
                    )
                    | models.Q(
                        owner_kind=OwnerKind.REGION, region__isnull=False, donor_id__isnull=True
                    )
                    | models.Q(
                        owner_kind=OwnerKind.DONOR, region__isnull=True, donor_id__isnull=False
                    )
                ),
                name="ledger_account_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def donor_name(self) -> str | None:
        """The donor's name for a donor's account (one query, kept); a list of
        accounts fills it for all at once with `with_donor_names`."""
        if "_donor_name" not in self.__dict__:
            with_donor_names([self])
        return self.__dict__["_donor_name"]

    @property
    def label(self) -> str:
        """A human name: "서구 지갑", "시스템 보류" …"""
        if self.owner_kind == OwnerKind.REGION and self.region_id:
            return f"{self.region.name} · {self.get_purpose_display()}"
        if self.owner_kind == OwnerKind.DONOR:
            name = self.donor_name
            if name is None:
                name = f"{_('Donor')} #{self.donor_id}"
            return f"{name} · {self.get_purpose_display()}"
        return f"{_('System')} · {self.get_purpose_display()}"


class _AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError()

    def delete(self):
        raise AppendOnlyError()


class _AppendOnly(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError()


class Transaction(_AppendOnly):
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    memo = models.TextField(_("memo"), blank=True)
    object_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True, default="")
    business_object = GenericForeignKey("object_type", "object_id")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    posted_at = models.DateTimeField(_("posted at"), db_index=True)
    idempotency_key = models.CharField(max_length=128, unique=True, null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        ordering = ["-posted_at", "-pk"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Entry(_AppendOnly):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("amount"))
    sequence = models.BigIntegerField(_("sequence"))
    balance_after = models.BigIntegerField(_("balance after"))
    posted_at = models.DateTimeField(_("posted at"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["account", "sequence"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_entry_not_zero"),
            models.UniqueConstraint(
                fields=["account", "sequence"], name="ledger_entry_account_sequence_unique"
            ),
        ]
        indexes = [
            # Point-in-time balance: the last entry at or before a moment.
            models.Index(fields=["account", "posted_at", "sequence"], name="ledger_entry_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.sequence} {self.amount:+d}"

    def compute_hash(self, account_code: str) -> str:
        return entry_hash(
            account_code=account_code,
            sequence=self.sequence,
            amount=self.amount,
            balance_after=self.balance_after,
            transaction_id=self.transaction_id,
            posted_at_iso=self.posted_at.astimezone(datetime.UTC).isoformat(
                timespec="microseconds"
            ),
            prev_hash=self.prev_hash,
        )


def entry_hash(
    *,
    account_code: str,
    sequence: int,
    amount: int,
    balance_after: int,
    transaction_id: int,
    posted_at_iso: str,
    prev_hash: str,
) -> str:
    """SHA-256 over an entry's content and the previous entry's hash.

    `posted_at_iso` is the UTC timestamp in ISO 8601 with microseconds, as
    `datetime.isoformat()` gives it for an aware UTC datetime.
    """
    content = "|".join(
        (
            account_code,
            str(sequence),
            str(amount),
            str(balance_after),
            str(transaction_id),
            posted_at_iso,
            prev_hash,
        )
    )
    return hashlib.sha256(content.encode()).hexdigest()


class HoldStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SETTLED = "settled", _("Settled")
    RELEASED = "released", _("Released")


class Hold(models.Model):
    """Points reserved from `source` in `system:holds`, resolved exactly once:
    settled (whole or part, the rest returns) or released (all returns)."""

    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    amount = models.PositiveBigIntegerField(_("amount"))
    status = models.CharField(
        _("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.OPEN
    )
    settled_amount = models.PositiveBigIntegerField(_("settled"), default=0)
    hold_transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="hold"
    )
    resolution = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="resolved_hold"
    )
    object_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True, default="")
    business_object = GenericForeignKey("object_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="ledger_hold_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(settled_amount__lte=models.F("amount")),
                name="ledger_hold_settles_at_most_its_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(status=HoldStatus.OPEN, resolution__isnull=True)
                | (~models.Q(status=HoldStatus.OPEN) & models.Q(resolution__isnull=False)),
                name="ledger_hold_resolved_once",
            ),
        ]

    def __str__(self) -> str:
        return f"hold #{self.pk} {self.amount} from {self.source_id} ({self.status})"


class ProposalKind(models.TextChoices):
    GRANT = "grant", _("Opening grant")
    CORRECTION = "correction", _("Correction")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved and posted")
    REJECTED = "rejected", _("Rejected")


def proposal_may_decide(proposal: Proposal, user, *, finance: bool | None = None) -> bool:
    """Four-eyes: another finance user than the proposer. A list of proposals
    passes `finance` (is the user finance?), asked once for all its rows."""
    from people.permissions import is_finance

    if finance is None:
        finance = is_finance(user)
    return finance and user.pk != proposal.proposed_by_id


def _may_decide(proposal: Proposal, user) -> bool:
    return proposal_may_decide(proposal, user)


class Proposal(ConcurrentTransitionMixin, models.Model):
    """A grant of points to a region, or a correction (reversal) of a transaction,
    proposed by one finance user and posted only when a different one approves."""

    kind = models.CharField(_("kind"), max_length=12, choices=ProposalKind.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.PositiveBigIntegerField(_("points"), null=True, blank=True)
    target = models.ForeignKey(
        Transaction,
        verbose_name=_("transaction to correct"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction_proposals",
    )
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    status = FSMField(
        _("status"),
        default=ProposalStatus.PROPOSED,
        choices=ProposalStatus.choices,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)
    posted = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="proposal"
    )
    idempotency_key = models.CharField(max_length=128, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("grant or correction proposal")
        verbose_name_plural = _("grant and correction proposals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("proposed_by")),
                name="ledger_proposal_four_eyes",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind=ProposalKind.GRANT,
                    region__isnull=False,
                    amount__gt=0,
                    target__isnull=True,
                )
                | models.Q(
                    kind=ProposalKind.CORRECTION,
                    region__isnull=True,
                    amount__isnull=True,
                    target__isnull=False,
                ),
                name="ledger_proposal_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @transition(
        field=status,
        source=ProposalStatus.PROPOSED,
        target=ProposalStatus.APPROVED,
        permission=_may_decide,
    )
    def approve(self) -> None:
        """Posted by `ledger.services.proposal_approve`, in the same database transaction."""

    @transition(
        field=status,
        source=ProposalStatus.PROPOSED,
        target=ProposalStatus.REJECTED,
        permission=_may_decide,
    )
    def reject(self) -> None:
        """Nothing is posted."""


def with_donor_names(accounts: Iterable[Account]) -> None:
    """Give each donor account its donor's name in one query. The ledger names
    donors by id only (it does not depend on the donors app), so the name is
    looked up here, for the screens."""
    accounts = list(accounts)
    ids = {a.donor_id for a in accounts if a.donor_id is not None}
    names: dict[int, str] = {}
    if ids and apps.is_installed("donors"):
        donor = apps.get_model("donors", "Donor")
        names = dict(donor.objects.filter(pk__in=ids).values_list("pk", "name"))
    for account in accounts:
        account.__dict__["_donor_name"] = names.get(account.donor_id)
