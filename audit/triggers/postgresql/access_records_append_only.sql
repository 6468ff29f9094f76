-- The personal-data access records refuse UPDATE, DELETE and TRUNCATE
-- (audit/migrations/0004), with the transition log's function audit_refuse_change()
-- (transition_log_append_only.sql). Undone by access_records_append_only_reverse.sql.
CREATE TRIGGER audit_personaldataaccess_append_only BEFORE UPDATE OR DELETE ON audit_personaldataaccess
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_personaldataaccess_no_truncate BEFORE TRUNCATE ON audit_personaldataaccess
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
