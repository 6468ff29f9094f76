"""The posting path's SQL (ledger/sql.py) names the models' columns exactly.

The statements are written out, so Django's migrations do not keep them in
step with the models: these tests read the columns from `_meta` and from the
statements' own text, and fail when a model gains, loses or retypes a column
the SQL does not follow.
"""

import dataclasses
import re

import pytest
from django.db import connection

from ledger import sql
from ledger.models import Account, Entry, Transaction


def concrete_columns(model) -> set[str]:
    return {field.column for field in model._meta.concrete_fields}


def insert_columns(statement: str, table: str) -> list[str]:
    match = re.match(rf"INSERT INTO {table} \(([^)]*)\) VALUES ", statement)  # noqa: S608
    assert match, statement
    return [column.strip() for column in match.group(1).split(",")]


def test_transaction_insert_names_every_column_but_the_id():
    columns = insert_columns(sql.INSERT_TRANSACTION, Transaction._meta.db_table)
    assert len(columns) == len(set(columns))
    assert set(columns) == concrete_columns(Transaction) - {Transaction._meta.pk.column}
    assert sql.INSERT_TRANSACTION.count("%s") == len(columns)
    assert sql.INSERT_TRANSACTION.endswith(f"RETURNING {Transaction._meta.pk.column}")


@pytest.mark.parametrize("count", [1, 2, 5])
def test_entry_insert_names_every_column_but_the_id(count):
    statement = sql.insert_entries(count)
    columns = insert_columns(statement, Entry._meta.db_table)
    assert len(columns) == len(set(columns))
    assert set(columns) == concrete_columns(Entry) - {Entry._meta.pk.column}
    assert statement.count("%s") == len(columns) * count


@pytest.mark.parametrize("for_update", [True, False])
def test_account_lock_reads_the_head_columns(for_update):
    statement = sql.lock_accounts(3, for_update=for_update)
    match = re.match(rf"SELECT (.*) FROM {Account._meta.db_table} WHERE id IN ", statement)  # noqa: S608
    assert match, statement
    columns = [column.strip() for column in match.group(1).split(",")]
    assert set(columns) <= concrete_columns(Account)
    # The columns after the id are AccountHead's fields, in order.
    assert columns == [Account._meta.pk.column] + [
        field.name for field in dataclasses.fields(sql.AccountHead)
    ]
    assert statement.count("%s") == 3
    assert statement.endswith(" FOR UPDATE") is for_update


@pytest.mark.django_db
def test_stored_head_columns_are_cast_to_their_columns_types():
    by_column = {field.column: field for field in Account._meta.concrete_fields}
    head_fields = {field.name for field in dataclasses.fields(sql.AccountHead)}
    for column, cast in sql.STORED_HEAD_COLUMNS:
        assert column in head_fields
        assert by_column[column].db_type(connection) == cast, column
    statement = sql.store_heads(2)
    for column, _cast in sql.STORED_HEAD_COLUMNS:
        assert f"{column} = CASE id " in statement
    assert statement.startswith(f"UPDATE {Account._meta.db_table} SET ")  # noqa: S608


def test_store_heads_parameters_match_the_statement():
    heads = {
        7: sql.AccountHead(allow_negative=False, balance=10, sequence=2, head_hash="a" * 64),
        9: sql.AccountHead(allow_negative=True, balance=-5, sequence=1, head_hash="b" * 64),
    }
    params = sql.store_heads_params(heads)
    assert len(params) == sql.store_heads(2).count("%s")
    assert params == [7, 10, 9, -5, 7, 2, 9, 1, 7, "a" * 64, 9, "b" * 64, 7, 9]


def test_a_statement_depends_only_on_the_number_of_accounts():
    # One prepared statement per shape of posting (see test_prepared.py).
    assert sql.insert_entries(2) is sql.insert_entries(2)
    assert sql.store_heads(3) == sql.store_heads(3)
    assert sql.lock_accounts(2, for_update=True) != sql.lock_accounts(3, for_update=True)


def test_account_head_is_frozen():
    head = sql.AccountHead(allow_negative=False, balance=1, sequence=1, head_hash="0" * 64)
    with pytest.raises(dataclasses.FrozenInstanceError):
        head.balance = 2  # type: ignore[misc]
