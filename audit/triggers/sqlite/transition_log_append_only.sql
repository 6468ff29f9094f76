-- The transition log refuses UPDATE and DELETE (audit/migrations/0002). Each statement
-- stays on one line: SQLite keeps a trigger's text as written.
-- Undone by transition_log_append_only_reverse.sql.
CREATE TRIGGER audit_transitionlog_no_update BEFORE UPDATE ON audit_transitionlog BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_transitionlog_no_delete BEFORE DELETE ON audit_transitionlog BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;
