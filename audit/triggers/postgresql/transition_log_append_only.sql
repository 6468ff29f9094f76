-- The transition log refuses UPDATE, DELETE and TRUNCATE (audit/migrations/0002).
-- audit_refuse_change() serves the access records too (access_records_append_only.sql).
-- Undone by transition_log_append_only_reverse.sql.
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_transitionlog_append_only BEFORE UPDATE OR DELETE ON audit_transitionlog
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_transitionlog_no_truncate BEFORE TRUNCATE ON audit_transitionlog
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
