-- UMIG reference schema: status vocabulary
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 004-create-status-table
CREATE TABLE IF NOT EXISTS status_sts (
    sts_id      SERIAL PRIMARY KEY,
    sts_name    VARCHAR(50) NOT NULL,
    sts_color   VARCHAR(7)  NOT NULL DEFAULT '#6B778C',
    sts_type    VARCHAR(20) NOT NULL,
    sts_order   SMALLINT    NOT NULL DEFAULT 0,
    CONSTRAINT uq_sts_name_type UNIQUE (sts_name, sts_type),
    CONSTRAINT ck_sts_type CHECK (sts_type IN ('Migration', 'Iteration', 'Plan', 'Step', 'Instruction')),
    CONSTRAINT ck_sts_color CHECK (sts_color ~ '^#[0-9A-Fa-f]{6}$')
);
