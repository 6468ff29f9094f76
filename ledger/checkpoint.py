"""Signed checkpoints of the ledger, kept outside the database.

The hash chains make any change to an entry visible, but they are not keyed:
whoever can write to the database as its superuser (triggers off) can delete
the newest transactions, or reorder entries, and recompute every hash after
the change, and `ledger_verify` alone then finds a consistent ledger. A
checkpoint records, for every account, its sequence, head hash and balance at
one moment, signed with HMAC-SHA256 under `LEDGER_CHECKPOINT_KEY`, a key that
the database does not hold. A later ledger must extend every checkpoint: each
account still there, its sequence no lower, and its entry at the checkpointed
sequence still carrying the checkpointed hash (which, through the chain,
vouches for every entry before it).

File format (JSON, UTF-8): `format`, `created_at` (UTC, ISO 8601), `accounts`
(a list of `{"code", "sequence", "head_hash", "balance"}` sorted by code),
`digest` (SHA-256 over the accounts, one `code|sequence|head_hash|balance`
line each) and `signature` (HMAC-SHA256, hex, over the canonical JSON of all
the other fields).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ledger.models import GENESIS_HASH, Account, Entry

FORMAT = "nanum-ledger-checkpoint/1"
#: Signs checkpoints when DEBUG is on and no key is set; never accepted without DEBUG.
DEVELOPMENT_KEY = "development-only-ledger-checkpoint-key"
#: A shorter key is refused in production: HMAC is only as strong as its key.
MINIMUM_KEY_LENGTH = 32


class CheckpointError(Exception):
    """A checkpoint cannot be written or read; the message says why."""


class CheckpointKeyMissing(CheckpointError):
    pass


class CheckpointRefused(CheckpointError):
    """The file is unreadable, not a checkpoint, or its signature does not verify."""


@dataclass(frozen=True)
class AccountMark:
    code: str
    sequence: int
    head_hash: str
    balance: int


@dataclass(frozen=True)
class Checkpoint:
    created_at: str
    accounts: tuple[AccountMark, ...]
    digest: str


def checkpoint_key() -> tuple[bytes, bool]:
    """(key, is_development_key). Without DEBUG a missing or short key is refused."""
    key = settings.LEDGER_CHECKPOINT_KEY
    if not key:
        if not settings.DEBUG:
            raise CheckpointKeyMissing(
                "LEDGER_CHECKPOINT_KEY is not set: ledger checkpoints are signed with it, and "
                "without DEBUG there is no development key. Set it (at least "
                f"{MINIMUM_KEY_LENGTH} random characters, kept away from the database server)."
            )
        return DEVELOPMENT_KEY.encode(), True
    if len(key) < MINIMUM_KEY_LENGTH and not settings.DEBUG:
        raise CheckpointKeyMissing(
            f"LEDGER_CHECKPOINT_KEY is {len(key)} characters long; at least "
            f"{MINIMUM_KEY_LENGTH} are needed."
        )
    return key.encode(), False


def _digest(accounts: list[dict[str, Any]]) -> str:
    lines = "".join(
        f"{a['code']}|{a['sequence']}|{a['head_hash']}|{a['balance']}\n" for a in accounts
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _sign(body: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


def checkpoint_take() -> dict[str, Any]:
    """Every account's code, sequence, head hash and balance, unsigned.

    One statement, so one consistent snapshot of all accounts even while
    postings go on. The head hash must be the hash of the account's entry at
    its sequence: a checkpoint vouches for entries, not for cached columns.
    """
    account, entry = Account._meta.db_table, Entry._meta.db_table
    sql = (
        "SELECT a.code, a.sequence, a.head_hash, a.balance, e.hash, e.balance_after "  # noqa: S608 -- table names from the models
        f"FROM {account} a LEFT JOIN {entry} e "
        "ON e.account_id = a.id AND e.sequence = a.sequence ORDER BY a.code"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    accounts, problems = [], []
    for code, sequence, head_hash, balance, entry_hash_value, balance_after in rows:
        if sequence == 0:
            consistent = head_hash == GENESIS_HASH and balance == 0
        else:
            consistent = entry_hash_value == head_hash and balance_after == balance
        if not consistent:
            problems.append(code)
        accounts.append(
            {"code": code, "sequence": sequence, "head_hash": head_hash, "balance": balance}
        )
    if problems:
        raise CheckpointError(
            "the cached head of these accounts is not their last entry, so no checkpoint was "
            f"written: {', '.join(problems)}"
        )
    return {
        "format": FORMAT,
        "created_at": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "accounts": accounts,
        "digest": _digest(accounts),
    }


def checkpoint_write(*, path: Path, key: bytes) -> Checkpoint:
    """Take a checkpoint, sign it and write it to `path` (a new file; never overwritten)."""
    body = checkpoint_take()
    document = dict(body, signature=_sign(body, key))
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    try:
        # "x": a checkpoint is never overwritten, also when two runs race for the name.
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
    except FileExistsError:
        raise CheckpointError(
            f"{path} already exists; a checkpoint is never overwritten."
        ) from None
    except OSError as error:
        raise CheckpointError(f"cannot write {path}: {error.strerror}") from None
    return _parse(body)


def checkpoint_read(*, path: Path, key: bytes) -> Checkpoint:
    """Read and authenticate a checkpoint file; CheckpointRefused says why it is not usable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CheckpointRefused(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, ValueError):
        raise CheckpointRefused(f"{path} is not a ledger checkpoint (not JSON).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointRefused(f"{path} is not a ledger checkpoint ({FORMAT}).")
    signature = document.pop("signature", None)
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature.encode(), _sign(document, key).encode()
    ):
        raise CheckpointRefused(
            f"the signature of {path} does not verify: the file was changed after it was "
            "written, or signed with another LEDGER_CHECKPOINT_KEY. It proves nothing."
        )
    try:
        checkpoint = _parse(document)
    except (KeyError, TypeError, ValueError):
        raise CheckpointRefused(f"{path} is signed but malformed.") from None
    if checkpoint.digest != _digest(document["accounts"]):
        raise CheckpointRefused(f"the digest of {path} does not match its accounts.")
    return checkpoint


def _parse(body: dict[str, Any]) -> Checkpoint:
    marks = []
    for item in body["accounts"]:
        mark = AccountMark(
            code=item["code"],
            sequence=item["sequence"],
            head_hash=item["head_hash"],
            balance=item["balance"],
        )
        if not (
            isinstance(mark.code, str)
            and type(mark.sequence) is int
            and mark.sequence >= 0
            and isinstance(mark.head_hash, str)
            and type(mark.balance) is int
        ):
            raise ValueError(item)
        marks.append(mark)
    if not isinstance(body["digest"], str) or not isinstance(body["created_at"], str):
        raise ValueError("digest")
    return Checkpoint(created_at=body["created_at"], accounts=tuple(marks), digest=body["digest"])


def checkpoint_problems(checkpoint: Checkpoint) -> list[str]:
    """How the ledger fails to extend `checkpoint`, one line per account; empty when it does."""
    current = {
        code: (pk, sequence)
        for code, pk, sequence in Account.objects.values_list("code", "pk", "sequence")
    }
    problems = []
    when = f"the checkpoint of {checkpoint.created_at}"
    for mark in checkpoint.accounts:
        if mark.code not in current:
            problems.append(f"{mark.code}: in {when} but missing from the ledger")
            continue
        pk, sequence = current[mark.code]
        if sequence < mark.sequence:
            problems.append(
                f"{mark.code}: sequence {sequence} is lower than {mark.sequence} in {when}"
            )
            continue
        if mark.sequence == 0:
            continue
        found = (
            Entry.objects.filter(account_id=pk, sequence=mark.sequence)
            .values_list("hash", "balance_after")
            .first()
        )
        if found is None:
            problems.append(f"{mark.code} entry #{mark.sequence}: missing, but in {when}")
        elif found != (mark.head_hash, mark.balance):
            problems.append(
                f"{mark.code} entry #{mark.sequence}: hash or balance differs from {when}"
            )
    return problems
