-- The ledger is append-only in the database itself (ledger/migrations/0002):
-- UPDATE and DELETE on transactions and entries raise. Each statement stays on
-- one line: SQLite keeps a trigger's text as written. Undone by append_only_reverse.sql.
CREATE TRIGGER ledger_transaction_no_update BEFORE UPDATE ON ledger_transaction BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: UPDATE on ledger_transaction refused'); END;
CREATE TRIGGER ledger_transaction_no_delete BEFORE DELETE ON ledger_transaction BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: DELETE on ledger_transaction refused'); END;
CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: UPDATE on ledger_entry refused'); END;
CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: DELETE on ledger_entry refused'); END;
