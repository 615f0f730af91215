-- UMIG reference schema: plans, steps and instructions
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 008-create-plans-table
CREATE TABLE IF NOT EXISTS plans_pln (
    pln_id          UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    ite_id          UUID         NOT NULL REFERENCES iterations_ite (ite_id) ON DELETE CASCADE,
    tms_id          INTEGER      REFERENCES teams_tms (tms_id) ON DELETE SET NULL,
    usr_id_owner    INTEGER      REFERENCES users_usr (usr_id) ON DELETE SET NULL,
    pln_name        VARCHAR(255) NOT NULL,
    pln_description TEXT,
    pln_status      INTEGER      NOT NULL REFERENCES status_sts (sts_id),
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_pln_ite_name UNIQUE (ite_id, pln_name)
);


-- from changeset 009-create-steps-table
CREATE TABLE IF NOT EXISTS steps_stm (
    stm_id               UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    pln_id               UUID         NOT NULL REFERENCES plans_pln (pln_id) ON DELETE CASCADE,
    tms_id_owner         INTEGER      NOT NULL REFERENCES teams_tms (tms_id),
    stm_number           INTEGER      NOT NULL,
    stm_name             VARCHAR(255) NOT NULL,
    stm_description      TEXT,
    stm_duration_minutes INTEGER      NOT NULL DEFAULT 0,
    stm_status           INTEGER      NOT NULL REFERENCES status_sts (sts_id),
    stm_started_at       TIMESTAMPTZ,
    stm_completed_at     TIMESTAMPTZ,
    created_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_stm_pln_number UNIQUE (pln_id, stm_number),
    CONSTRAINT ck_stm_duration CHECK (stm_duration_minutes >= 0)
);


-- from changeset 010-create-instructions-table
CREATE TABLE IF NOT EXISTS instructions_inm (
    inm_id               UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    stm_id               UUID        NOT NULL REFERENCES steps_stm (stm_id) ON DELETE CASCADE,
    tms_id               INTEGER     REFERENCES teams_tms (tms_id) ON DELETE SET NULL,
    inm_order            INTEGER     NOT NULL,
    inm_body             TEXT        NOT NULL,
    inm_duration_minutes INTEGER     NOT NULL DEFAULT 0,
    inm_is_completed     BOOLEAN     NOT NULL DEFAULT false,
    inm_completed_at     TIMESTAMPTZ,
    usr_id_completed_by  INTEGER     REFERENCES users_usr (usr_id) ON DELETE SET NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_inm_stm_order UNIQUE (stm_id, inm_order)
);


-- from changeset 011-create-step-indexes
CREATE INDEX IF NOT EXISTS idx_stm_pln_status ON steps_stm (pln_id, stm_status);
CREATE INDEX IF NOT EXISTS idx_stm_tms_owner ON steps_stm (tms_id_owner);
CREATE INDEX IF NOT EXISTS idx_inm_stm_id ON instructions_inm (stm_id);
CREATE INDEX IF NOT EXISTS idx_pln_ite_id ON plans_pln (ite_id);
