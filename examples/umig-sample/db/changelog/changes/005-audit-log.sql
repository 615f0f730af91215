--liquibase formatted sql

--changeset umig:012-create-audit-log-table labels:core,security
--comment: Append-only audit trail written by trigger fn_audit_row()
CREATE TABLE audit_log_aud (
    aud_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    aud_timestamp TIMESTAMPTZ NOT NULL DEFAULT now(),
    aud_table     VARCHAR(63) NOT NULL,
    aud_action    VARCHAR(10) NOT NULL,
    aud_entity_id TEXT        NOT NULL,
    aud_usr_code  VARCHAR(3),
    aud_old       JSONB,
    aud_new       JSONB,
    CONSTRAINT ck_aud_action CHECK (aud_action IN ('INSERT', 'UPDATE', 'DELETE'))
);
CREATE INDEX idx_aud_table_entity ON audit_log_aud (aud_table, aud_entity_id);
CREATE INDEX idx_aud_timestamp ON audit_log_aud (aud_timestamp);
--rollback DROP TABLE audit_log_aud;

--changeset umig:013-create-audit-trigger-function splitStatements:false labels:core,security
--comment: Row-level audit trigger; the acting user comes from the umig.usr_code session setting
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
--rollback DROP FUNCTION IF EXISTS fn_audit_row();

--changeset umig:014-attach-audit-triggers labels:core,security
--comment: Audit the planning entities; teams and users changes are audited as well
CREATE TRIGGER trg_audit_migrations AFTER INSERT OR UPDATE OR DELETE ON migrations_mgr
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('mgr_id');
CREATE TRIGGER trg_audit_iterations AFTER INSERT OR UPDATE OR DELETE ON iterations_ite
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('ite_id');
CREATE TRIGGER trg_audit_plans AFTER INSERT OR UPDATE OR DELETE ON plans_pln
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('pln_id');
CREATE TRIGGER trg_audit_steps AFTER INSERT OR UPDATE OR DELETE ON steps_stm
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('stm_id');
CREATE TRIGGER trg_audit_teams AFTER INSERT OR UPDATE OR DELETE ON teams_tms
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('tms_id');
CREATE TRIGGER trg_audit_users AFTER INSERT OR UPDATE OR DELETE ON users_usr
    FOR EACH ROW EXECUTE FUNCTION fn_audit_row('usr_id');
/* liquibase rollback
DROP TRIGGER IF EXISTS trg_audit_users ON users_usr;
DROP TRIGGER IF EXISTS trg_audit_teams ON teams_tms;
DROP TRIGGER IF EXISTS trg_audit_steps ON steps_stm;
DROP TRIGGER IF EXISTS trg_audit_plans ON plans_pln;
DROP TRIGGER IF EXISTS trg_audit_iterations ON iterations_ite;
DROP TRIGGER IF EXISTS trg_audit_migrations ON migrations_mgr;
*/
