-- Undoes transition_log_append_only.sql (audit/migrations/0002, backwards).
DROP TRIGGER IF EXISTS audit_transitionlog_no_update;
DROP TRIGGER IF EXISTS audit_transitionlog_no_delete;
