"""The SQL of the posting path (`ledger.services.ledger_post`).

A posting runs four statements, written out here rather than built by the ORM
(the ORM's statement building cost several times the database's own work on
this hot path; see bench/ledger_bench.py):

1. `lock_accounts(n)`: the head of each of n accounts, its row locked, in id order;
2. `INSERT_TRANSACTION`: the transaction row, returning its id;
3. `insert_entries(n)`: the n entry rows in one INSERT;
4. `store_heads(n)`: each account's new balance, sequence and head hash in one UPDATE.

A statement's text depends only on the number of accounts, so on PostgreSQL
each shape is prepared once per connection (`ledger.services._PreparedCursor`).
Table names and column lists come from the constants below, which
tests/ledger/test_sql.py checks against the models' concrete columns: a model
change the SQL misses fails there, not in production. Parameters are always
`%s` placeholders; no value is ever put into the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ledger.models import Account, Entry, Transaction

ACCOUNT_TABLE = Account._meta.db_table
TRANSACTION_TABLE = Transaction._meta.db_table
ENTRY_TABLE = Entry._meta.db_table

#: What `lock_accounts` reads: the id, then the fields of `AccountHead` in order.
LOCK_COLUMNS = ("id", "allow_negative", "balance", "sequence", "head_hash")
#: What `store_heads` writes, each value cast to its column's type. On
#: PostgreSQL the values are bound on the server, and a CASE needs one type.
STORED_HEAD_COLUMNS = (("balance", "bigint"), ("sequence", "bigint"), ("head_hash", "varchar(64)"))
#: Every column of a transaction row but its id, which the database assigns.
TRANSACTION_COLUMNS = (
    "kind",
    "memo",
    "object_type_id",
    "object_id",
    "posted_by_id",
    "posted_at",
    "idempotency_key",
    "content_hash",
    "reverses_id",
)
#: Every column of an entry row but its id.
ENTRY_COLUMNS = (
    "transaction_id",
    "account_id",
    "amount",
    "sequence",
    "balance_after",
    "posted_at",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class AccountHead:
    """An account as a posting sees it under its row lock: may it go below
    zero, its balance, its number of entries and the hash of its last entry.
    A posting computes each account's next head and writes the last three back
    with `store_heads`."""

    allow_negative: bool
    balance: int
    sequence: int
    head_hash: str


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


@lru_cache(maxsize=64)
def lock_accounts(count: int, *, for_update: bool) -> str:
    """SELECT the heads of `count` accounts (parameters: their ids), in id
    order, FOR UPDATE where the database has it (PostgreSQL; SQLite locks the
    whole database for the write transaction instead)."""
    lock = " FOR UPDATE" if for_update else ""
    return (
        f"SELECT {', '.join(LOCK_COLUMNS)} FROM {ACCOUNT_TABLE} "
        f"WHERE id IN ({_placeholders(count)}) ORDER BY id{lock}"
    )


def heads_from_rows(rows: Iterable[Sequence[Any]]) -> dict[int, AccountHead]:
    """{account id: head} from the rows of `lock_accounts`, in their order."""
    return {row[0]: AccountHead(bool(row[1]), row[2], row[3], row[4]) for row in rows}


#: Parameters: the values of TRANSACTION_COLUMNS, in that order.
INSERT_TRANSACTION = (
    f"INSERT INTO {TRANSACTION_TABLE} ({', '.join(TRANSACTION_COLUMNS)}) "
    f"VALUES ({_placeholders(len(TRANSACTION_COLUMNS))}) RETURNING id"
)


@lru_cache(maxsize=64)
def insert_entries(count: int) -> str:
    """INSERT `count` entry rows; parameters: the values of ENTRY_COLUMNS for
    each entry in turn."""
    row = f"({_placeholders(len(ENTRY_COLUMNS))})"
    return f"INSERT INTO {ENTRY_TABLE} ({', '.join(ENTRY_COLUMNS)}) VALUES " + ", ".join(
        [row] * count
    )


@lru_cache(maxsize=64)
def store_heads(count: int) -> str:
    """UPDATE the stored head columns of `count` accounts in one statement;
    parameters from `store_heads_params`."""
    whens = " ".join(["WHEN %s THEN CAST(%s AS {cast})"] * count)
    sets = ", ".join(
        f"{column} = CASE id {whens.format(cast=cast)} END" for column, cast in STORED_HEAD_COLUMNS
    )
    return f"UPDATE {ACCOUNT_TABLE} SET {sets} WHERE id IN ({_placeholders(count)})"


def store_heads_params(heads: Mapping[int, AccountHead]) -> list[Any]:
    """The parameters of `store_heads(len(heads))`: for each stored column, an
    (id, new value) pair per account; then the ids."""
    params: list[Any] = []
    for column, _cast in STORED_HEAD_COLUMNS:
        for pk, head in heads.items():
            params += [pk, getattr(head, column)]
    return params + list(heads)
