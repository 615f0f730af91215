--liquibase formatted sql

--changeset umig:017-create-audit-purge-function splitStatements:false labels:security,maintenance
--comment: Deletes audit rows older than the retention period (default from the changelog property)
CREATE OR REPLACE FUNCTION fn_purge_audit_log(p_retention_days integer DEFAULT ${umig.audit.retention.days})
RETURNS integer AS $$
DECLARE
    v_deleted integer;
BEGIN
    IF p_retention_days < 30 THEN
        RAISE EXCEPTION 'retention of % days is below the 30-day minimum', p_retention_days;
    END IF;
    DELETE FROM audit_log_aud
     WHERE aud_timestamp < now() - make_interval(days => p_retention_days);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$ LANGUAGE plpgsql;
--rollback DROP FUNCTION IF EXISTS fn_purge_audit_log(integer);
