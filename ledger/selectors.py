"""Reads on the ledger: balances, statements, the trial balance, verification."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, QuerySet, Sum

from ledger.kinds import GRANT, HOLD, HOLD_RELEASE, HOLD_SETTLE, REVERSAL
from ledger.models import (
    GENESIS_HASH,
    Account,
    Entry,
    Hold,
    HoldStatus,
    OwnerKind,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Purpose,
    Transaction,
)

if TYPE_CHECKING:
    from ledger.checkpoint import Checkpoint


def account_balance(account: Account) -> int:
    """The current balance, read from the account row: O(1) however long the history."""
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


def balance_at(account: Account, moment: datetime.datetime) -> int:
    """The balance at `moment`: `balance_after` of the last entry at or before it.

    One index lookup (account, posted_at, sequence), no scan of the history.
    """
    value = (
        Entry.objects.filter(account=account, posted_at__lte=moment)
        .order_by("-posted_at", "-sequence")
        .values_list("balance_after", flat=True)
        .first()
    )
    return value or 0


def _balance_before(account: Account, moment: datetime.datetime) -> int:
    value = (
        Entry.objects.filter(account=account, posted_at__lt=moment)
        .order_by("-posted_at", "-sequence")
        .values_list("balance_after", flat=True)
        .first()
    )
    return value or 0


@dataclass
class Statement:
    account: Account
    start: datetime.datetime | None
    end: datetime.datetime | None
    opening: int
    closing: int
    entries: QuerySet[Entry]


def account_statement(
    account: Account,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> Statement:
    """Entries of `account` from `start` (inclusive) to `end` (exclusive), oldest
    first, each with its running balance (`balance_after`), and the opening and
    closing balances of the range."""
    entries = Entry.objects.filter(account=account).select_related("transaction")
    if start is not None:
        entries = entries.filter(posted_at__gte=start)
    if end is not None:
        entries = entries.filter(posted_at__lt=end)
    opening = _balance_before(account, start) if start is not None else 0
    closing = _balance_before(account, end) if end is not None else account_balance(account)
    return Statement(
        account=account,
        start=start,
        end=end,
        opening=opening,
        closing=closing,
        entries=entries.order_by("sequence"),
    )


@dataclass
class TrialBalanceGroup:
    purpose: str
    owner_kind: str
    accounts: list[Account]
    total: int


@dataclass
class TrialBalance:
    groups: list[TrialBalanceGroup]
    total: int
    account_count: int

    @property
    def balanced(self) -> bool:
        return self.total == 0


_PURPOSE_ORDER = {p: i for i, p in enumerate(Purpose.values)}
_OWNER_ORDER = {o: i for i, o in enumerate(OwnerKind.values)}


def trial_balance() -> TrialBalance:
    """Every account's balance, grouped by purpose and owner kind. The total is
    zero whenever the ledger is sound (each transaction sums to zero)."""
    groups: dict[tuple[str, str], list[Account]] = defaultdict(list)
    accounts = Account.objects.select_related("region").order_by("code")
    for account in accounts:
        groups[(account.purpose, account.owner_kind)].append(account)
    ordered = sorted(
        groups.items(), key=lambda item: (_PURPOSE_ORDER[item[0][0]], _OWNER_ORDER[item[0][1]])
    )
    result = [
        TrialBalanceGroup(
            purpose=purpose,
            owner_kind=owner_kind,
            accounts=members,
            total=sum(a.balance for a in members),
        )
        for (purpose, owner_kind), members in ordered
    ]
    return TrialBalance(
        groups=result,
        total=sum(group.total for group in result),
        account_count=sum(len(group.accounts) for group in result),
    )


@dataclass
class VerifyReport:
    accounts: int = 0
    entries: int = 0
    transactions: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_verify(*, checkpoint: Checkpoint | None = None) -> VerifyReport:
    """Recompute every account from its entries and check every transaction.

    For each account, walking its entries in sequence order: sequences run
    1, 2, 3 … without gaps; `posted_at` never decreases (postings take their
    time under the account's lock); each `balance_after` is the running sum;
    each `prev_hash` is the previous entry's hash and each `hash` recomputes;
    an account without `allow_negative` is never below zero; the final
    balance, sequence and head hash equal the cached ones. Every entry has the
    time of its transaction. For transactions: at least two entries summing to
    zero. The trial balance sums to zero. `system:holds` holds exactly the open
    holds; every hold and every posted proposal points at an existing
    transaction of the right kind. With `checkpoint`, the ledger must extend
    it (ledger/checkpoint.py): the hash chains are not keyed, so a rewrite
    that recomputes them is only found against a record kept outside the
    database.
    """
    report = VerifyReport()
    for account in Account.objects.order_by("pk").iterator():
        report.accounts += 1
        running, expected_sequence, prev_hash = 0, 1, GENESIS_HASH
        prev_posted = None
        broken_chain = False
        entries = (
            Entry.objects.filter(account=account)
            .order_by("sequence")
            .values_list(
                "sequence",
                "amount",
                "balance_after",
                "prev_hash",
                "hash",
                "transaction_id",
                "posted_at",
            )
            .iterator(chunk_size=5000)
        )
        for (
            sequence,
            amount,
            balance_after,
            entry_prev,
            entry_hash_value,
            txn_id,
            posted,
        ) in entries:
            report.entries += 1
            running += amount
            where = f"{account.code} entry #{sequence}"
            if sequence != expected_sequence:
                report.problems.append(
                    f"{where}: sequence {sequence}, expected {expected_sequence}"
                )
                expected_sequence = sequence
            expected_sequence += 1
            if prev_posted is not None and posted < prev_posted:
                report.problems.append(
                    f"{where}: posted at {posted.isoformat()}, before the entry preceding it "
                    f"({prev_posted.isoformat()})"
                )
            prev_posted = posted
            if balance_after != running:
                report.problems.append(
                    f"{where}: balance_after {balance_after}, entries sum to {running}"
                )
            if running < 0 and not account.allow_negative:
                report.problems.append(f"{where}: balance {running} below zero")
            if not broken_chain:
                recomputed = Entry(
                    sequence=sequence,
                    amount=amount,
                    balance_after=balance_after,
                    transaction_id=txn_id,
                    posted_at=posted,
                    prev_hash=entry_prev,
                )
                if entry_prev != prev_hash:
                    report.problems.append(f"{where}: prev_hash does not match the previous entry")
                    broken_chain = True
                elif recomputed.compute_hash(account.code) != entry_hash_value:
                    report.problems.append(f"{where}: hash does not match the entry's content")
                    broken_chain = True
            prev_hash = entry_hash_value
        if running != account.balance:
            report.problems.append(
                f"{account.code}: cached balance {account.balance}, entries sum to {running}"
            )
        if expected_sequence - 1 != account.sequence:
            report.problems.append(
                f"{account.code}: cached sequence {account.sequence}, "
                f"{expected_sequence - 1} entries"
            )
        if prev_hash != account.head_hash:
            report.problems.append(f"{account.code}: head_hash is not the last entry's hash")

    report.problems += _entries_off_their_transaction()
    report.transactions = Transaction.objects.count()
    unbalanced = (
        Transaction.objects.annotate(n=Count("entries"), total=Sum("entries__amount"))
        .exclude(n__gte=2, total=0)
        .values_list("pk", "n", "total")
    )
    for pk, n, total in unbalanced:
        report.problems.append(f"transaction #{pk}: {n} entries summing to {total or 0}")
    total = Account.objects.aggregate(total=Sum("balance"))["total"] or 0
    if total != 0:
        report.problems.append(f"trial balance: accounts sum to {total}, not 0")
    report.problems += _holds_problems()
    report.problems += _proposal_problems()
    if checkpoint is not None:
        from ledger.checkpoint import checkpoint_problems

        report.problems += checkpoint_problems(checkpoint)
    return report


def _entries_off_their_transaction() -> list[str]:
    """Entries whose transaction is missing or was posted at another time.

    The hash covers the entry's own time, not its transaction's: moving an
    entry to another place in its account's chain shows here or in the order
    of times.
    """
    entry, account, txn = Entry._meta.db_table, Account._meta.db_table, Transaction._meta.db_table
    sql = (
        "SELECT a.code, e.sequence, e.transaction_id, t.id "  # noqa: S608 -- table names from the models
        f"FROM {entry} e JOIN {account} a ON a.id = e.account_id "
        f"LEFT JOIN {txn} t ON t.id = e.transaction_id "
        "WHERE t.id IS NULL OR t.posted_at <> e.posted_at ORDER BY a.code, e.sequence"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [
        f"{code} entry #{sequence}: transaction #{txn_id} "
        + ("is missing" if found is None else "was posted at another time")
        for code, sequence, txn_id, found in rows
    ]


#: The transaction kind each resolved hold status must point at.
_RESOLUTION_KIND = {HoldStatus.SETTLED: HOLD_SETTLE, HoldStatus.RELEASED: HOLD_RELEASE}


def _kinds(ids: set[int]) -> dict[int, tuple[str, int | None]]:
    """{transaction id: (kind, reverses id)} of those of `ids` that exist."""
    found: dict[int, tuple[str, int | None]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):  # SQLite caps the parameters of a query
        chunk = ordered[start : start + 500]
        for pk, kind, reverses in Transaction.objects.filter(pk__in=chunk).values_list(
            "pk", "kind", "reverses_id"
        ):
            found[pk] = (kind, reverses)
    return found


def _holds_problems() -> list[str]:
    """`system:holds` holds exactly the open holds, and every hold has its transactions."""
    problems = []
    holds = list(
        Hold.objects.order_by("pk").values_list(
            "pk", "status", "amount", "hold_transaction_id", "resolution_id"
        )
    )
    kinds = _kinds({h[3] for h in holds} | {h[4] for h in holds if h[4] is not None})
    open_total = 0
    for pk, status, amount, held_by, resolved_by in holds:
        if status == HoldStatus.OPEN:
            open_total += amount
        found = kinds.get(held_by)
        if found is None:
            problems.append(f"hold #{pk}: its transaction #{held_by} is missing")
        elif found[0] != HOLD:
            problems.append(f"hold #{pk}: its transaction #{held_by} is a {found[0]}, not a hold")
        if resolved_by is None:
            continue
        found = kinds.get(resolved_by)
        if found is None:
            problems.append(f"hold #{pk}: its resolution #{resolved_by} is missing")
        elif found[0] != _RESOLUTION_KIND.get(status):
            problems.append(f"hold #{pk} ({status}): its resolution #{resolved_by} is a {found[0]}")
    held = (
        Account.objects.filter(code=f"system:{Purpose.HOLDS}")
        .values_list("balance", flat=True)
        .first()
    ) or 0
    if held != open_total:
        problems.append(f"system:holds: balance {held}, open holds sum to {open_total}")
    return problems


#: The transaction kind an approved proposal of each kind posts.
_PROPOSAL_KIND = {ProposalKind.GRANT: GRANT, ProposalKind.CORRECTION: REVERSAL}


def _proposal_problems() -> list[str]:
    """Approved proposals, and only they, point at an existing transaction of their kind."""
    problems = []
    proposals = list(
        Proposal.objects.order_by("pk").values_list(
            "pk", "kind", "status", "posted_id", "target_id"
        )
    )
    kinds = _kinds({p[3] for p in proposals if p[3] is not None})
    for pk, kind, status, posted, target in proposals:
        approved = status == ProposalStatus.APPROVED
        if posted is None:
            if approved:
                problems.append(f"proposal #{pk}: approved but nothing posted")
            continue
        if not approved:
            problems.append(f"proposal #{pk}: {status} yet transaction #{posted} is its posting")
        found = kinds.get(posted)
        if found is None:
            problems.append(f"proposal #{pk}: its transaction #{posted} is missing")
        elif found[0] != _PROPOSAL_KIND[kind]:
            problems.append(f"proposal #{pk}: its transaction #{posted} is a {found[0]}")
        elif kind == ProposalKind.CORRECTION and found[1] != target:
            problems.append(f"proposal #{pk}: its transaction #{posted} does not reverse #{target}")
    return problems
