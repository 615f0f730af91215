-- UMIG reference schema: audit retention
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 017-create-audit-purge-function
CREATE OR REPLACE FUNCTION fn_purge_audit_log(p_retention_days integer DEFAULT 365)
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
