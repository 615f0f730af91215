--liquibase formatted sql

--changeset umig:015-add-users-last-login labels:core
--preconditions onFail:MARK_RAN onError:HALT
--precondition-sql-check expectedResult:0 SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users_usr' AND column_name = 'usr_last_login_at'
--comment: Some environments received this column by a hotfix script; mark the changeset as ran there
ALTER TABLE users_usr ADD COLUMN usr_last_login_at TIMESTAMPTZ;
--rollback ALTER TABLE users_usr DROP COLUMN usr_last_login_at;
