--liquibase formatted sql

--changeset umig:004-create-status-table labels:core,reference
--comment: One status vocabulary per entity type, with the colour the UI shows
CREATE TABLE status_sts (
    sts_id      SERIAL PRIMARY KEY,
    sts_name    VARCHAR(50) NOT NULL,
    sts_color   VARCHAR(7)  NOT NULL DEFAULT '#6B778C',
    sts_type    VARCHAR(20) NOT NULL,
    sts_order   SMALLINT    NOT NULL DEFAULT 0,
    CONSTRAINT uq_sts_name_type UNIQUE (sts_name, sts_type),
    CONSTRAINT ck_sts_type CHECK (sts_type IN ('Migration', 'Iteration', 'Plan', 'Step', 'Instruction')),
    CONSTRAINT ck_sts_color CHECK (sts_color ~ '^#[0-9A-Fa-f]{6}$')
);
--rollback DROP TABLE status_sts;

--changeset umig:005-seed-status-values labels:reference
--comment: Reference data needed in every environment (not only dev)
INSERT INTO status_sts (sts_name, sts_color, sts_type, sts_order) VALUES
    ('PLANNING',    '#FFA500', 'Migration', 1),
    ('IN_PROGRESS', '#0052CC', 'Migration', 2),
    ('COMPLETED',   '#00875A', 'Migration', 3),
    ('CANCELLED',   '#DE350B', 'Migration', 4),
    ('PLANNING',    '#FFA500', 'Iteration', 1),
    ('IN_PROGRESS', '#0052CC', 'Iteration', 2),
    ('COMPLETED',   '#00875A', 'Iteration', 3),
    ('CANCELLED',   '#DE350B', 'Iteration', 4),
    ('PLANNING',    '#FFA500', 'Plan', 1),
    ('IN_PROGRESS', '#0052CC', 'Plan', 2),
    ('COMPLETED',   '#00875A', 'Plan', 3),
    ('CANCELLED',   '#DE350B', 'Plan', 4),
    ('PENDING',     '#DFE1E6', 'Step', 1),
    ('TODO',        '#FFFFFF', 'Step', 2),
    ('IN_PROGRESS', '#0052CC', 'Step', 3),
    ('COMPLETED',   '#00875A', 'Step', 4),
    ('FAILED',      '#DE350B', 'Step', 5),
    ('BLOCKED',     '#FF5630', 'Step', 6),
    ('CANCELLED',   '#6B778C', 'Step', 7),
    ('PENDING',     '#DFE1E6', 'Instruction', 1),
    ('COMPLETED',   '#00875A', 'Instruction', 2);
--rollback DELETE FROM status_sts WHERE sts_type IN ('Migration', 'Iteration', 'Plan', 'Step', 'Instruction');
