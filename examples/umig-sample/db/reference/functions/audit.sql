-- UMIG reference schema: audit trigger function and triggers
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 013-create-audit-trigger-function
CREATE OR REPLACE FUNCTION fn_audit_row() RETURNS trigger AS $$
DECLARE
    v_key_column text := TG_ARGV[0];
    v_old        jsonb;
    v_new        jsonb;
    v_entity_id  text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_old := to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := to_jsonb(NEW);
    END IF;
    v_entity_id := COALESCE(v_new ->> v_key_column, v_old ->> v_key_column);

    -- An UPDATE that changes nothing is not worth an audit row.
    IF TG_OP = 'UPDATE' AND v_old = v_new THEN
        RETURN NEW;
    END IF;

    INSERT INTO audit_log_aud (aud_table, aud_action, aud_entity_id, aud_usr_code, aud_old, aud_new)
    VALUES (TG_TABLE_NAME, TG_OP, v_entity_id,
            NULLIF(current_setting('umig.usr_code', true), ''), v_old, v_new);

    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;


-- from changeset 014-attach-audit-triggers
CREATE OR REPLACE TRIGGER trg_audit_migrations AFTER INSERT OR UPDATE OR DELETE ON migrations_mgr
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('mgr_id');
CREATE OR REPLACE TRIGGER trg_audit_iterations AFTER INSERT OR UPDATE OR DELETE ON iterations_ite
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('ite_id');
CREATE OR REPLACE TRIGGER trg_audit_plans AFTER INSERT OR UPDATE OR DELETE ON plans_pln
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('pln_id');
CREATE OR REPLACE TRIGGER trg_audit_steps AFTER INSERT OR UPDATE OR DELETE ON steps_stm
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('stm_id');
CREATE OR REPLACE TRIGGER trg_audit_teams AFTER INSERT OR UPDATE OR DELETE ON teams_tms
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('tms_id');
CREATE OR REPLACE TRIGGER trg_audit_users AFTER INSERT OR UPDATE OR DELETE ON users_usr
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('usr_id');
