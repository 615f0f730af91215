--liquibase formatted sql

--changeset umig:110-dev-migration-plan context:dev labels:seed
--comment: One migration with a rehearsal iteration, a plan, three steps and their instructions
INSERT INTO migrations_mgr (usr_id_owner, mgr_name, mgr_description, mgr_type, mgr_status,
                            mgr_start_date, mgr_end_date, mgr_business_cutover_date, created_by)
SELECT u.usr_id, 'DEV Data Centre Exit', 'Move the core banking estate to the new data centre',
       'EXTERNAL', s.sts_id, DATE '2026-01-05', DATE '2026-06-30', DATE '2026-06-13', 'ADM'
  FROM users_usr u, status_sts s
 WHERE u.usr_code = 'ADM' AND s.sts_type = 'Migration' AND s.sts_name = 'IN_PROGRESS';
INSERT INTO iterations_ite (mgr_id, ite_name, ite_type, ite_description, ite_status, ite_static_cutover_date)
SELECT m.mgr_id, 'RUN1 - Dress rehearsal', 'RUN', 'First full rehearsal over a weekend',
       s.sts_id, TIMESTAMPTZ '2026-03-14 18:00:00+00'
  FROM migrations_mgr m, status_sts s
 WHERE m.mgr_name = 'DEV Data Centre Exit' AND s.sts_type = 'Iteration' AND s.sts_name = 'PLANNING';
INSERT INTO plans_pln (ite_id, tms_id, usr_id_owner, pln_name, pln_description, pln_status)
SELECT i.ite_id, t.tms_id, u.usr_id, 'Core banking cutover', 'Runbook for the database and application move', s.sts_id
  FROM iterations_ite i, teams_tms t, users_usr u, status_sts s
 WHERE i.ite_name = 'RUN1 - Dress rehearsal' AND t.tms_name = 'DEV Database Administration'
   AND u.usr_code = 'ADM' AND s.sts_type = 'Plan' AND s.sts_name = 'PLANNING';
INSERT INTO steps_stm (pln_id, tms_id_owner, stm_number, stm_name, stm_description, stm_duration_minutes, stm_status)
SELECT p.pln_id, t.tms_id, v.num, v.name, v.descr, v.minutes, s.sts_id
  FROM plans_pln p
 CROSS JOIN (VALUES
        (10, 'Freeze application writes', 'Put the application in maintenance mode', 15, 'DEV Application Support'),
        (20, 'Replicate final database delta', 'Stop replication after the last WAL segment is applied', 45, 'DEV Database Administration'),
        (30, 'Switch DNS to the new data centre', 'Lower TTL beforehand; switch the A records', 10, 'DEV Network Operations')
       ) AS v(num, name, descr, minutes, team)
  JOIN teams_tms t ON t.tms_name = v.team
  JOIN status_sts s ON s.sts_type = 'Step' AND s.sts_name = 'TODO'
 WHERE p.pln_name = 'Core banking cutover';
INSERT INTO instructions_inm (stm_id, tms_id, inm_order, inm_body, inm_duration_minutes)
SELECT st.stm_id, st.tms_id_owner, v.ord, v.body, v.minutes
  FROM steps_stm st
  JOIN (VALUES
        (10, 1, 'Announce the freeze in the cutover channel', 2),
        (10, 2, 'Enable maintenance mode on all application nodes', 8),
        (20, 1, 'Confirm replication lag is zero', 5),
        (20, 2, 'Promote the standby in the new data centre', 20),
        (30, 1, 'Update the A records for core.umig.example', 5)
       ) AS v(step_number, ord, body, minutes) ON v.step_number = st.stm_number
  JOIN plans_pln p ON p.pln_id = st.pln_id AND p.pln_name = 'Core banking cutover';
--rollback DELETE FROM migrations_mgr WHERE mgr_name = 'DEV Data Centre Exit';
