-- Undoes access_records_append_only.sql (audit/migrations/0004, backwards).
DROP TRIGGER IF EXISTS audit_personaldataaccess_no_update;
DROP TRIGGER IF EXISTS audit_personaldataaccess_no_delete;
