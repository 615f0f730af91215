-- UMIG reference schema: migrations and iterations
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 006-create-migrations-table
CREATE TABLE IF NOT EXISTS migrations_mgr (
    mgr_id                    UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    usr_id_owner              INTEGER      REFERENCES users_usr (usr_id) ON DELETE SET NULL,
    mgr_name                  VARCHAR(255) NOT NULL,
    mgr_description           TEXT,
    mgr_type                  VARCHAR(50)  NOT NULL DEFAULT 'EXTERNAL',
    mgr_status                INTEGER      NOT NULL REFERENCES status_sts (sts_id),
    mgr_start_date            DATE,
    mgr_end_date              DATE,
    mgr_business_cutover_date DATE,
    created_at                TIMESTAMPTZ  NOT NULL DEFAULT now(),
    created_by                VARCHAR(3),
    updated_at                TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_by                VARCHAR(3),
    CONSTRAINT uq_mgr_name UNIQUE (mgr_name),
    CONSTRAINT ck_mgr_dates CHECK (mgr_end_date IS NULL OR mgr_start_date IS NULL OR mgr_end_date >= mgr_start_date)
);
CREATE INDEX IF NOT EXISTS idx_mgr_status ON migrations_mgr (mgr_status);


-- from changeset 007-create-iterations-table
CREATE TABLE IF NOT EXISTS iterations_ite (
    ite_id                   UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    mgr_id                   UUID         NOT NULL REFERENCES migrations_mgr (mgr_id) ON DELETE CASCADE,
    ite_name                 VARCHAR(255) NOT NULL,
    ite_type                 VARCHAR(20)  NOT NULL DEFAULT 'RUN',
    ite_description          TEXT,
    ite_status               INTEGER      NOT NULL REFERENCES status_sts (sts_id),
    ite_static_cutover_date  TIMESTAMPTZ,
    ite_dynamic_cutover_date TIMESTAMPTZ,
    created_at               TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_ite_mgr_name UNIQUE (mgr_id, ite_name),
    CONSTRAINT ck_ite_type CHECK (ite_type IN ('RUN', 'DR', 'CUTOVER'))
);
CREATE INDEX IF NOT EXISTS idx_ite_mgr_id ON iterations_ite (mgr_id);
