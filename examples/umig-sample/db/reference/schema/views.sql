-- UMIG reference schema: reporting views
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 016-view-migration-progress
CREATE OR REPLACE VIEW v_iteration_progress AS
SELECT
    m.mgr_id,
    m.mgr_name,
    i.ite_id,
    i.ite_name,
    i.ite_type,
    count(s.stm_id)                                            AS steps_total,
    count(s.stm_id) FILTER (WHERE st.sts_name = 'COMPLETED')   AS steps_completed,
    count(s.stm_id) FILTER (WHERE st.sts_name IN ('FAILED', 'BLOCKED')) AS steps_attention,
    COALESCE(sum(s.stm_duration_minutes), 0)                   AS planned_minutes,
    CASE WHEN count(s.stm_id) = 0 THEN 0
         ELSE round(100.0 * count(s.stm_id) FILTER (WHERE st.sts_name = 'COMPLETED') / count(s.stm_id), 1)
    END                                                        AS percent_complete
FROM migrations_mgr m
JOIN iterations_ite i ON i.mgr_id = m.mgr_id
LEFT JOIN plans_pln p ON p.ite_id = i.ite_id
LEFT JOIN steps_stm s ON s.pln_id = p.pln_id
LEFT JOIN status_sts st ON st.sts_id = s.stm_status
GROUP BY m.mgr_id, m.mgr_name, i.ite_id, i.ite_name, i.ite_type;
