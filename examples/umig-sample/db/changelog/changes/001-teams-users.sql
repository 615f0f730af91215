--liquibase formatted sql

--changeset umig:001-create-teams-table labels:core
--comment: Teams own steps and instructions during a cutover
CREATE TABLE teams_tms (
    tms_id          SERIAL PRIMARY KEY,
    tms_name        VARCHAR(64)  NOT NULL,
    tms_email       VARCHAR(255),
    tms_description TEXT,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_tms_name UNIQUE (tms_name)
);
COMMENT ON TABLE teams_tms IS 'UMIG teams (schema release ${umig.schema.release})';
--rollback DROP TABLE teams_tms;

--changeset umig:002-create-users-table labels:core
--comment: Users are identified by a three-letter trigram (usr_code)
CREATE TABLE users_usr (
    usr_id          SERIAL PRIMARY KEY,
    usr_code        VARCHAR(3)   NOT NULL,
    usr_first_name  VARCHAR(50)  NOT NULL,
    usr_last_name   VARCHAR(50)  NOT NULL,
    usr_email       VARCHAR(255) NOT NULL,
    usr_is_admin    BOOLEAN      NOT NULL DEFAULT false,
    usr_active      BOOLEAN      NOT NULL DEFAULT true,
    tms_id          INTEGER      REFERENCES teams_tms (tms_id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_usr_code UNIQUE (usr_code),
    CONSTRAINT uq_usr_email UNIQUE (usr_email),
    CONSTRAINT ck_usr_code_format CHECK (usr_code ~ '^[A-Z]{3}$')
);
CREATE INDEX idx_usr_tms_id ON users_usr (tms_id);
COMMENT ON TABLE users_usr IS 'UMIG users (schema release ${umig.schema.release})';
--rollback DROP TABLE users_usr;

--changeset umig:003-create-team-membership labels:core
--comment: A user may belong to several teams; users_usr.tms_id is the primary team
CREATE TABLE teams_tms_x_users_usr (
    tms_x_usr_id    SERIAL PRIMARY KEY,
    tms_id          INTEGER     NOT NULL REFERENCES teams_tms (tms_id) ON DELETE CASCADE,
    usr_id          INTEGER     NOT NULL REFERENCES users_usr (usr_id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by      VARCHAR(3),
    CONSTRAINT uq_tms_x_usr UNIQUE (tms_id, usr_id)
);
CREATE INDEX idx_tms_x_usr_usr_id ON teams_tms_x_users_usr (usr_id);
--rollback DROP TABLE teams_tms_x_users_usr;
