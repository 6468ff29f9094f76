-- Undoes transition_log_append_only.sql (audit/migrations/0002, backwards).
DROP TRIGGER IF EXISTS audit_transitionlog_no_truncate ON audit_transitionlog;
DROP TRIGGER IF EXISTS audit_transitionlog_append_only ON audit_transitionlog;
DROP FUNCTION IF EXISTS audit_refuse_change();
