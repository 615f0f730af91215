--liquibase formatted sql

--changeset umig:008-create-plans-table labels:core
--comment: A plan is the runbook of one iteration
CREATE TABLE plans_pln (
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
--rollback DROP TABLE plans_pln;

--changeset umig:009-create-steps-table labels:core
--comment: Steps are numbered within a plan and owned by one team
CREATE TABLE steps_stm (
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
--rollback DROP TABLE steps_stm;

--changeset umig:010-create-instructions-table labels:core
--comment: Instructions are the individual actions inside a step
CREATE TABLE instructions_inm (
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
--rollback DROP TABLE instructions_inm;

--changeset umig:011-create-step-indexes labels:core,performance
--comment: Indexes for the runsheet queries (steps by plan/status, by owning team)
CREATE INDEX idx_stm_pln_status ON steps_stm (pln_id, stm_status);
CREATE INDEX idx_stm_tms_owner ON steps_stm (tms_id_owner);
CREATE INDEX idx_inm_stm_id ON instructions_inm (stm_id);
CREATE INDEX idx_pln_ite_id ON plans_pln (ite_id);
--rollback DROP INDEX idx_pln_ite_id;
--rollback DROP INDEX idx_inm_stm_id;
--rollback DROP INDEX idx_stm_tms_owner;
--rollback DROP INDEX idx_stm_pln_status;
