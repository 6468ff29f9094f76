"""Writes on the ledger. `ledger_post` is the only code that creates
transactions and entries; holds, reversals and grant proposals build on it."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm
from psycopg.types.numeric import Int8

from config.exceptions import NotAllowed
from ledger import kinds, sql
from ledger.exceptions import (
    AlreadyReversed,
    FourEyesViolation,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidPosting,
    LedgerError,
    NotReversible,
    UnknownKind,
)
from ledger.models import (
    Account,
    Hold,
    HoldStatus,
    OwnerKind,
    Proposal,
    ProposalKind,
    Purpose,
    Transaction,
    entry_hash,
)
from ledger.sql import AccountHead
from people.models import User
from people.permissions import is_finance
from regions.models import Region
from regions.selectors import exchange_region

SYSTEM = "system"
#: Purposes whose accounts may go below zero; every other account may not.
NEGATIVE_ALLOWED = {Purpose.ISSUED, Purpose.REDEEMED}
#: Transactions that belong to a hold; they are undone by release, never reversed.
HOLD_KINDS = {kinds.HOLD, kinds.HOLD_SETTLE, kinds.HOLD_RELEASE}


class Kind:
    """Transaction kinds posted by this app, registered in `ledger.kinds`
    (other apps register their own)."""

    TRANSFER = kinds.TRANSFER
    GRANT = kinds.GRANT
    HOLD = kinds.HOLD
    HOLD_SETTLE = kinds.HOLD_SETTLE
    HOLD_RELEASE = kinds.HOLD_RELEASE
    REVERSAL = kinds.REVERSAL


# --- accounts -------------------------------------------------------------


def _identity(owner: Any, purpose: str) -> tuple[str, dict[str, Any]]:
    purpose = Purpose(purpose)
    if owner == SYSTEM:
        if purpose not in {Purpose.ISSUED, Purpose.HOLDS, Purpose.REDEEMED}:
            raise LedgerError(f"the system has no {purpose} account")
        return f"system:{purpose}", {"owner_kind": OwnerKind.SYSTEM}
    if isinstance(owner, Region):
        if purpose != Purpose.WALLET:
            raise LedgerError(f"a region has no {purpose} account")
        if exchange_region(owner) != owner:
            raise LedgerError(f"{owner.code} is not an exchange region; wallets belong to those")
        return f"region:{owner.code}:{purpose}", {
            "owner_kind": OwnerKind.REGION,
            "region": owner,
        }
    if owner._meta.label_lower == "donors.donor":
        if purpose != Purpose.MATCH:
            raise LedgerError(f"a donor has no {purpose} account")
        return f"donor:{owner.pk}:{purpose}", {"owner_kind": OwnerKind.DONOR, "donor_id": owner.pk}
    raise LedgerError(f"{owner!r} cannot own a ledger account")


def account_for(owner: Region | models.Model | str, purpose: Purpose | str) -> Account:
    """The account of `owner` (a region, a donor or "system") for `purpose`,
    created on first use. Never creates two: the account code is unique, and a
    creation that loses a race reads the winner's row."""
    code, fields = _identity(owner, purpose)
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    fields["allow_negative"] = Purpose(purpose) in NEGATIVE_ALLOWED
    try:
        with transaction.atomic():
            return Account.objects.create(code=code, purpose=purpose, **fields)
    except IntegrityError:
        return Account.objects.get(code=code)


def system_account(purpose: Purpose | str) -> Account:
    return account_for(SYSTEM, purpose)


# --- posting ----------------------------------------------------------------


def _object_ref(obj: models.Model | None) -> dict[str, Any]:
    if obj is None:
        return {"object_type": None, "object_id": ""}
    return {
        "object_type": ContentType.objects.get_for_model(obj, for_concrete_model=False),
        "object_id": str(obj.pk),
    }


def _content_hash(
    entries: Sequence[tuple[Account, int]],
    kind: str,
    memo: str,
    obj_ref: dict[str, Any],
    by: User | None,
    reverses: Transaction | None,
) -> str:
    content = {
        "entries": sorted((account.code, amount) for account, amount in entries),
        "kind": kind,
        "memo": memo,
        "object": [
            obj_ref["object_type"].pk if obj_ref["object_type"] else None,
            obj_ref["object_id"],
        ],
        "by": by.pk if by else None,
        "reverses": reverses.pk if reverses else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _validate(entries: Sequence[tuple[Account, int]]) -> None:
    if len(entries) < 2:
        raise InvalidPosting(_("A posting needs at least two entries."))
    seen = set()
    for account, amount in entries:
        if not isinstance(account, Account) or account.pk is None:
            raise InvalidPosting(_("Every entry needs a saved account."))
        if type(amount) is not int:
            raise InvalidPosting(_("Point amounts are whole numbers."))
        if amount == 0:
            raise InvalidPosting(_("An entry cannot be zero."))
        if account.pk in seen:
            raise InvalidPosting(_("Each account appears at most once in a posting."))
        seen.add(account.pk)
    if sum(amount for _account, amount in entries) != 0:
        raise InvalidPosting(_("The entries of a posting must sum to zero."))


def _replay(idempotency_key: str, content_hash: str) -> Transaction | None:
    existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.content_hash != content_hash:
        raise IdempotencyConflict()
    return existing


def ledger_post(
    *,
    entries: Sequence[tuple[Account, int]],
    kind: str,
    memo: str = "",
    obj: models.Model | None = None,
    by: User | None = None,
    idempotency_key: str | None = None,
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced transaction, all or nothing.

    `entries` are (account, amount) pairs, credit positive. Checks that there
    are at least two, each a non-zero whole number, one per account, summing to
    zero; locks the accounts in primary-key order (SELECT … FOR UPDATE), so two
    postings on the same accounts queue rather than deadlock; refuses to take
    an account without `allow_negative` below zero (InsufficientPoints names
    the account and the shortfall); appends the entries with their sequence,
    balance and hash; updates the cached balances; commits.

    With `idempotency_key`, a repeat with the same content returns the
    original transaction, and different content raises IdempotencyConflict,
    also when two requests race with the same key.

    `kind` is a kind registered in `ledger.kinds`; any other is refused
    (UnknownKind) before anything is written.
    """
    if not kinds.is_registered(kind):
        raise UnknownKind(f"transaction kind {kind!r} is not registered (ledger.kinds.register)")
    _validate(entries)
    obj_ref = _object_ref(obj)
    content_hash = _content_hash(entries, kind, memo, obj_ref, by, reverses)
    if idempotency_key and (found := _replay(idempotency_key, content_hash)):
        return found
    try:
        with transaction.atomic():
            return _post_locked(
                entries, kind, memo, obj_ref, by, idempotency_key, reverses, content_hash
            )
    except IntegrityError:
        # The loser of a race on the same idempotency key lands here once
        # the winner has committed; answer with the winner's transaction.
        if idempotency_key and (found := _replay(idempotency_key, content_hash)):
            return found
        raise


def _lock_accounts(cursor, ids: list[int]) -> dict[int, AccountHead]:
    """{id: head} of the accounts `ids` (sorted), rows locked in id order."""
    statement = sql.lock_accounts(len(ids), for_update=connection.features.has_select_for_update)
    cursor.execute(statement, ids)
    return sql.heads_from_rows(cursor.fetchall())


def accounts_lock(accounts: Sequence[Account]) -> None:
    """Lock `accounts` now, all at once in primary-key order, until the
    transaction ends. A service that posts several times in one transaction
    calls it first, so its postings do not take the shared accounts one
    posting at a time (see exchange/locks.py for the whole order)."""
    if not connection.in_atomic_block:
        raise LedgerError("accounts are locked inside transaction.atomic()")
    ids = sorted({account.pk for account in accounts})
    if ids:
        with connection.cursor() as cursor:
            _lock_accounts(cursor, ids)


def _store_heads(cursor, heads: dict[int, AccountHead]) -> None:
    """The new cached balance, sequence and head hash of each account, in one UPDATE."""
    cursor.execute(sql.store_heads(len(heads)), sql.store_heads_params(heads))


class _PreparedCursor(psycopg.Cursor):
    """A psycopg cursor that binds its parameters on the server and prepares
    each statement once per connection. Django's own cursors bind on the
    client, which cost a tenth of a posting's time in quoting alone.

    Whole numbers go as bigint: psycopg would otherwise type each one by its
    size (smallint, integer, bigint), and every mix of types is a prepared
    statement of its own. The columns they meet are bigint or integer."""

    def execute(self, query, params=None, *, prepare=None, binary=None):  # type: ignore[override]
        if params:
            params = [Int8(p) if type(p) is int else p for p in params]
        return super().execute(query, params, prepare=True, binary=binary)

    def _convert_query(self, query, params=None):  # type: ignore[no-untyped-def]
        # Keep the statement where Django's query log reads it (psycopg does
        # the same in executemany): the log shows it with $1, $2 … as sent.
        self._query = super()._convert_query(query, params)
        return self._query


# psycopg prepares nothing while a connection's prepare_threshold is None,
# which is Django's default (for connection poolers in transaction mode).
# Django's cursors bind on the client and never prepare whatever the
# threshold, so raising it here reaches only _PreparedCursor, which asks
# for preparation itself; the threshold is never met otherwise.
_NO_AUTOMATIC_PREPARE = 2**62


@contextmanager
def _posting_cursor() -> Iterator[Any]:
    """The cursor of a posting's statements: on PostgreSQL a _PreparedCursor
    in Django's wrapper (so errors become Django's, and the statements are
    logged where Django logs them); elsewhere Django's own cursor."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    # What connection.cursor() does, with our cursor class in place of the
    # one the connection's settings name.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _NO_AUTOMATIC_PREPARE
    with connection.wrap_database_errors:
        wrapped = connection._prepare_cursor(_PreparedCursor(raw))
    with wrapped as cursor:
        yield cursor


def _post_locked(
    entries: Sequence[tuple[Account, int]],
    kind: str,
    memo: str,
    obj_ref: dict[str, Any],
    by: User | None,
    idempotency_key: str | None,
    reverses: Transaction | None,
    content_hash: str,
) -> Transaction:
    # The four statements of a posting are written out in SQL (ledger/sql.py):
    # the ORM's statement building cost several times the database's own work
    # on this hot path (see bench/ledger_bench.py). Same rows, locks and checks.
    ids = sorted(account.pk for account, _amount in entries)
    with _posting_cursor() as cursor:
        heads = _lock_accounts(cursor, ids)
        for account, amount in entries:
            head = heads[account.pk]
            if amount < 0 and not head.allow_negative and head.balance + amount < 0:
                raise InsufficientPoints(account=account, balance=head.balance, needed=-amount)

        # The time is taken under the locks, so an account's entries are in time
        # order as well as sequence order (point-in-time balances rely on it).
        now = timezone.now()
        txn = Transaction(
            kind=kind,
            memo=memo,
            posted_by=by,
            posted_at=now,
            idempotency_key=idempotency_key or None,
            content_hash=content_hash,
            reverses=reverses,
            **obj_ref,
        )
        db_now = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(
            sql.INSERT_TRANSACTION,
            [
                kind,
                memo,
                txn.object_type_id,
                txn.object_id,
                txn.posted_by_id,
                db_now,
                txn.idempotency_key,
                content_hash,
                txn.reverses_id,
            ],
        )
        txn.pk = cursor.fetchone()[0]
        txn._state.adding, txn._state.db = False, connection.alias
        posted_iso = now.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        rows: list[Any] = []
        for account, amount in entries:
            head = heads[account.pk]
            balance, sequence = head.balance + amount, head.sequence + 1
            new_hash = entry_hash(
                account_code=account.code,
                sequence=sequence,
                amount=amount,
                balance_after=balance,
                transaction_id=txn.pk,
                posted_at_iso=posted_iso,
                prev_hash=head.head_hash,
            )
            heads[account.pk] = AccountHead(head.allow_negative, balance, sequence, new_hash)
            rows += [
                txn.pk,
                account.pk,
                amount,
                sequence,
                balance,
                db_now,
                head.head_hash,
                new_hash,
            ]
        cursor.execute(sql.insert_entries(len(entries)), rows)
        _store_heads(cursor, heads)
    for account, _amount in entries:  # the caller's objects see the new state
        head = heads[account.pk]
        account.balance, account.sequence, account.head_hash = (
            head.balance,
            head.sequence,
            head.head_hash,
        )
    return txn


# --- holds --------------------------------------------------------------------


def hold(
    *,
    source: Account,
    amount: int,
    memo: str = "",
    obj: models.Model | None = None,
    by: User | None = None,
    idempotency_key: str | None = None,
    holds: Account | None = None,
) -> Hold:
    """Reserve `amount` points of `source` in `system:holds`.

    `holds`: the `system:holds` account when the caller has read it already
    (any other account is refused), so that it is not read again."""
    if type(amount) is not int or amount <= 0:
        raise InvalidPosting(_("A hold is a positive whole number of points."))
    if holds is None:
        holds = system_account(Purpose.HOLDS)
    elif holds.code != f"{SYSTEM}:{Purpose.HOLDS}":
        raise LedgerError(f"{holds.code} is not the holds account")
    with transaction.atomic():
        txn = ledger_post(
            entries=[(source, -amount), (holds, amount)],
            kind=Kind.HOLD,
            memo=memo,
            obj=obj,
            by=by,
            idempotency_key=idempotency_key,
        )
        # Only a repeated key can answer with an earlier transaction, and so
        # with a hold made already; a posting without one is always new.
        existing = Hold.objects.filter(hold_transaction=txn).first() if idempotency_key else None
        if existing is not None:  # an idempotent repeat
            return existing
        return Hold.objects.create(
            source=source, amount=amount, hold_transaction=txn, **_object_ref(obj)
        )


def _resolve(hold_obj: Hold, settled: int, by: User | None, memo: str) -> Hold:
    with transaction.atomic():
        # Only the hold's row: its source account is locked by the posting,
        # with the others, in primary-key order.
        locked = (
            Hold.objects.select_for_update(of=("self",))
            .select_related("source")
            .get(pk=hold_obj.pk)
        )
        if locked.status != HoldStatus.OPEN:
            raise HoldAlreadyResolved()
        if type(settled) is not int or not 0 <= settled <= locked.amount:
            raise InvalidPosting(
                _("A hold of %(amount)s points settles between 0 and %(amount)s.")
                % {"amount": locked.amount}
            )
        legs = [(system_account(Purpose.HOLDS), -locked.amount)]
        if settled:
            legs.append((system_account(Purpose.REDEEMED), settled))
        if locked.amount - settled:
            legs.append((locked.source, locked.amount - settled))
        txn = ledger_post(
            entries=legs,
            kind=Kind.HOLD_SETTLE if settled else Kind.HOLD_RELEASE,
            memo=memo,
            obj=locked.business_object,
            by=by,
        )
        locked.status = HoldStatus.SETTLED if settled else HoldStatus.RELEASED
        locked.settled_amount = settled
        locked.resolution = txn
        locked.resolved_at = txn.posted_at
        locked.save(update_fields=["status", "settled_amount", "resolution", "resolved_at"])
    hold_obj.__dict__.update(
        {
            k: getattr(locked, k)
            for k in ("status", "settled_amount", "resolution_id", "resolved_at")
        }
    )
    return locked


def settle(hold: Hold, amount: int, *, by: User | None = None, memo: str = "") -> Hold:
    """Consume `amount` of the hold (into `system:redeemed`); the rest returns
    to where it came from. A hold is resolved at most once."""
    return _resolve(hold, amount, by, memo)


def release(hold: Hold, *, by: User | None = None, memo: str = "") -> Hold:
    """Return the whole hold to where it came from. At most once."""
    return _resolve(hold, 0, by, memo)


# --- corrections --------------------------------------------------------------


def ledger_reverse(
    *, transaction_to_reverse: Transaction, reason: str, by: User | None
) -> Transaction:
    """Post the mirror image of a transaction, referencing it. At most once
    (also enforced by the unique `reverses` column)."""
    if not reason or not reason.strip():
        raise InvalidPosting(_("A correction needs a reason."))
    with transaction.atomic():
        original = Transaction.objects.select_for_update().get(pk=transaction_to_reverse.pk)
        if Transaction.objects.filter(reverses=original).exists():
            raise AlreadyReversed()
        if original.kind in HOLD_KINDS:
            raise NotReversible()
        legs = [
            (entry.account, -entry.amount) for entry in original.entries.select_related("account")
        ]
        try:
            with transaction.atomic():
                return ledger_post(
                    entries=legs, kind=Kind.REVERSAL, memo=reason.strip(), by=by, reverses=original
                )
        except IntegrityError:
            raise AlreadyReversed() from None


# --- four-eyes proposals --------------------------------------------------------


def _require_finance(user: User) -> None:
    if not is_finance(user):
        raise NotAllowed(_("Only finance staff may do this."))


def _proposal_replay(key: str | None, **content: Any) -> Proposal | None:
    if not key:
        return None
    existing = Proposal.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    for field, value in content.items():
        if getattr(existing, field) != value:
            raise IdempotencyConflict()
    return existing


def proposal_grant_create(
    *, region: Region, amount: int, reason: str, by: User, idempotency_key: str | None = None
) -> Proposal:
    """Finance proposes opening points for an exchange region's wallet."""
    _require_finance(by)
    if type(amount) is not int or amount <= 0:
        raise InvalidPosting(_("A grant is a positive whole number of points."))
    if not reason.strip():
        raise InvalidPosting(_("A grant needs a reason."))
    if exchange_region(region) != region:
        raise InvalidPosting(
            _("%(region)s has no wallet; grants go to exchange regions.") % {"region": region}
        )
    content = {
        "kind": ProposalKind.GRANT,
        "region": region,
        "amount": amount,
        "reason": reason.strip(),
        "proposed_by": by,
    }
    if found := _proposal_replay(idempotency_key, **content):
        return found
    try:
        with transaction.atomic():
            return Proposal.objects.create(idempotency_key=idempotency_key or None, **content)
    except IntegrityError:
        if found := _proposal_replay(idempotency_key, **content):
            return found
        raise


def proposal_correction_create(
    *, target: Transaction, reason: str, by: User, idempotency_key: str | None = None
) -> Proposal:
    """Finance proposes reversing a transaction."""
    _require_finance(by)
    if not reason.strip():
        raise InvalidPosting(_("A correction needs a reason."))
    if target.kind in HOLD_KINDS:
        raise NotReversible()
    if Transaction.objects.filter(reverses=target).exists():
        raise AlreadyReversed()
    content = {
        "kind": ProposalKind.CORRECTION,
        "target": target,
        "reason": reason.strip(),
        "proposed_by": by,
    }
    if found := _proposal_replay(idempotency_key, **content):
        return found
    try:
        with transaction.atomic():
            return Proposal.objects.create(idempotency_key=idempotency_key or None, **content)
    except IntegrityError:
        if found := _proposal_replay(idempotency_key, **content):
            return found
        raise


def _decide(proposal: Proposal, by: User, action: str, note: str) -> Proposal:
    _require_finance(by)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.proposed_by_id == by.pk:
            raise FourEyesViolation()
        method = getattr(locked, action)
        if not has_transition_perm(method, by):
            raise LedgerError(
                _("This proposal was already decided (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        method()
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note.strip()
        if action == "approve":
            if locked.kind == ProposalKind.GRANT:
                locked.posted = ledger_post(
                    entries=[
                        (system_account(Purpose.ISSUED), -locked.amount),
                        (account_for(locked.region, Purpose.WALLET), locked.amount),
                    ],
                    kind=Kind.GRANT,
                    memo=locked.reason,
                    obj=locked,
                    by=by,
                )
            else:
                locked.posted = ledger_reverse(
                    transaction_to_reverse=locked.target, reason=locked.reason, by=by
                )
        locked.save()
    return locked


def proposal_approve(*, proposal: Proposal, by: User, note: str = "") -> Proposal:
    """A second finance user approves; the grant or correction is posted at once."""
    return _decide(proposal, by, "approve", note)


def proposal_reject(*, proposal: Proposal, by: User, note: str = "") -> Proposal:
    """A second finance user rejects; nothing is posted."""
    return _decide(proposal, by, "reject", note)
