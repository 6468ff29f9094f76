-- Undoes access_records_append_only.sql (audit/migrations/0004, backwards).
DROP TRIGGER IF EXISTS audit_personaldataaccess_no_truncate ON audit_personaldataaccess;
DROP TRIGGER IF EXISTS audit_personaldataaccess_append_only ON audit_personaldataaccess;
