-- UMIG reference schema: audit log table
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 012-create-audit-log-table
CREATE TABLE IF NOT EXISTS audit_log_aud (
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
CREATE INDEX IF NOT EXISTS idx_aud_table_entity ON audit_log_aud (aud_table, aud_entity_id);
CREATE INDEX IF NOT EXISTS idx_aud_timestamp ON audit_log_aud (aud_timestamp);
