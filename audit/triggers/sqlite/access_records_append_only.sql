-- The personal-data access records refuse UPDATE and DELETE (audit/migrations/0004).
-- Each statement stays on one line: SQLite keeps a trigger's text as written.
-- Undone by access_records_append_only_reverse.sql.
CREATE TRIGGER audit_personaldataaccess_no_update BEFORE UPDATE ON audit_personaldataaccess BEGIN SELECT RAISE(ABORT, 'the access records are append-only: UPDATE refused'); END;
CREATE TRIGGER audit_personaldataaccess_no_delete BEFORE DELETE ON audit_personaldataaccess BEGIN SELECT RAISE(ABORT, 'the access records are append-only: DELETE refused'); END;
