--liquibase formatted sql

--changeset umig:100-dev-teams context:dev labels:seed
--comment: Demo teams for local development
INSERT INTO teams_tms (tms_name, tms_email, tms_description) VALUES
    ('DEV Database Administration', 'dba@umig.example', 'Owns database cutover steps'),
    ('DEV Network Operations', 'netops@umig.example', 'Firewall, DNS and load balancer changes'),
    ('DEV Application Support', 'appsupport@umig.example', 'Application start/stop and smoke checks'),
    ('DEV Business Validation', 'business@umig.example', 'Sign-off after each iteration');
--rollback DELETE FROM teams_tms WHERE tms_name LIKE 'DEV %';

--changeset umig:101-dev-users contextFilter:dev labels:seed
--comment: Demo users, one admin; the trigram is the login shown in audit rows
INSERT INTO users_usr (usr_code, usr_first_name, usr_last_name, usr_email, usr_is_admin, tms_id)
SELECT v.code, v.first_name, v.last_name, v.email, v.is_admin, t.tms_id
  FROM (VALUES
        ('ADM', 'Ada',    'Admin',    'ada.admin@umig.example',    true,  'DEV Database Administration'),
        ('JDO', 'Jane',   'Doe',      'jane.doe@umig.example',     false, 'DEV Network Operations'),
        ('RSM', 'Rahul',  'Smith',    'rahul.smith@umig.example',  false, 'DEV Application Support'),
        ('LMU', 'Lena',   'Mueller',  'lena.mueller@umig.example', false, 'DEV Business Validation'),
        ('TKO', 'Tomasz', 'Kowalski', 'tomasz.k@umig.example',     false, 'DEV Database Administration')
       ) AS v(code, first_name, last_name, email, is_admin, team)
  JOIN teams_tms t ON t.tms_name = v.team;
INSERT INTO teams_tms_x_users_usr (tms_id, usr_id, created_by)
SELECT u.tms_id, u.usr_id, 'ADM' FROM users_usr u WHERE u.usr_code IN ('ADM', 'JDO', 'RSM', 'LMU', 'TKO');
--rollback DELETE FROM users_usr WHERE usr_code IN ('ADM', 'JDO', 'RSM', 'LMU', 'TKO');
