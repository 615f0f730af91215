package umig.repository

import groovy.sql.GroovyRowResult
import groovy.sql.Sql
import umig.utils.DatabaseUtil

/**
 * StepRepository - steps_stm and instructions_inm: the runsheet.
 *
 * Status changes are checked against the allowed transitions here as well as in the UI, because several
 * operators act on the same runsheet and the UI state may be stale.
 */
class StepRepository {

    static final Map<String, List<String>> TRANSITIONS = [
        PENDING    : ['TODO', 'CANCELLED'],
        TODO       : ['IN_PROGRESS', 'BLOCKED', 'CANCELLED'],
        IN_PROGRESS: ['COMPLETED', 'FAILED', 'BLOCKED'],
        BLOCKED    : ['IN_PROGRESS', 'CANCELLED'],
        FAILED     : ['IN_PROGRESS', 'CANCELLED'],
        COMPLETED  : [],
        CANCELLED  : [],
    ].asImmutable()

    static final Map<String, String> SORTABLE = [
        stm_number          : 's.stm_number',
        stm_name            : 's.stm_name',
        team_name           : 't.tms_name',
        stm_duration_minutes: 's.stm_duration_minutes',
        stm_status          : 'st.sts_order',
    ].asImmutable()

    static boolean canTransition(String from, String to) {
        return TRANSITIONS[from]?.contains(to) ?: false
    }

    Map findSteps(UUID planId, Map query) {
        int page = (query.page ?: 1) as int
        int size = (query.size ?: 100) as int
        String orderBy = SORTABLE[query.sort as String] ?: 's.stm_number'
        String dir = (query.direction as String)?.equalsIgnoreCase('desc') ? 'DESC' : 'ASC'
        Map params = [planId: planId, limit: size, offset: (page - 1) * size]
        String statusFilter = ''
        if (query.status) {
            statusFilter = 'AND st.sts_name = :status'
            params.status = query.status as String
        }
        return DatabaseUtil.withSql { Sql sql ->
            List<GroovyRowResult> rows = sql.rows("""
                SELECT s.stm_id::text AS stm_id, s.stm_number, s.stm_name, s.stm_description, s.stm_duration_minutes,
                       st.sts_name AS stm_status, st.sts_color AS stm_status_color, s.tms_id_owner, t.tms_name AS team_name,
                       s.stm_started_at, s.stm_completed_at,
                       (SELECT count(*) FROM instructions_inm i WHERE i.stm_id = s.stm_id)                          AS instructions_total,
                       (SELECT count(*) FROM instructions_inm i WHERE i.stm_id = s.stm_id AND i.inm_is_completed) AS instructions_done
                  FROM steps_stm s
                  JOIN status_sts st ON st.sts_id = s.stm_status
                  JOIN teams_tms t ON t.tms_id = s.tms_id_owner
                 WHERE s.pln_id = :planId ${statusFilter}
                 ORDER BY ${orderBy} ${dir}, s.stm_number
                 LIMIT :limit OFFSET :offset
            """.toString(), params)
            GroovyRowResult total = sql.firstRow("""
                SELECT count(*) AS n FROM steps_stm s JOIN status_sts st ON st.sts_id = s.stm_status
                 WHERE s.pln_id = :planId ${statusFilter}
            """.toString(), params)
            int n = ((Number) total.n).intValue()
            return [data: rows.collect { new LinkedHashMap(it) }, pagination: [page: page, size: size, total: n, totalPages: Math.max(1, (int) Math.ceil(n / size))]]
        }
    }

    /**
     * Moves a step to a new status if the transition is allowed from its current status (checked under a row
     * lock, so two operators cannot both start the same step). Records start/completion times.
     */
    Map changeStatus(UUID stmId, String newStatus, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult current = sql.firstRow('''
                SELECT st.sts_name AS status FROM steps_stm s JOIN status_sts st ON st.sts_id = s.stm_status
                 WHERE s.stm_id = ? FOR UPDATE OF s
            ''', [stmId])
            if (!current) {
                throw new NoSuchElementException("Step ${stmId} not found".toString())
            }
            if (!canTransition(current.status as String, newStatus)) {
                throw new IllegalStateException("Step cannot go from ${current.status} to ${newStatus}".toString())
            }
            GroovyRowResult row = sql.firstRow('''
                UPDATE steps_stm s
                   SET stm_status = st.sts_id,
                       stm_started_at = CASE WHEN :status = 'IN_PROGRESS' AND s.stm_started_at IS NULL THEN now() ELSE s.stm_started_at END,
                       stm_completed_at = CASE WHEN :status = 'COMPLETED' THEN now() ELSE NULL END,
                       updated_at = now()
                  FROM status_sts st
                 WHERE s.stm_id = :id AND st.sts_type = 'Step' AND st.sts_name = :status
                RETURNING s.stm_id::text AS stm_id, st.sts_name AS stm_status, s.stm_started_at, s.stm_completed_at
            ''', [id: stmId, status: newStatus])
            return new LinkedHashMap(row)
        }
    }

    List<Map> findInstructions(UUID stmId) {
        return DatabaseUtil.withSql { Sql sql ->
            sql.rows('''
                SELECT i.inm_id::text AS inm_id, i.inm_order, i.inm_body, i.inm_duration_minutes, i.inm_is_completed,
                       i.inm_completed_at, u.usr_code AS completed_by
                  FROM instructions_inm i
                  LEFT JOIN users_usr u ON u.usr_id = i.usr_id_completed_by
                 WHERE i.stm_id = ?
                 ORDER BY i.inm_order
            ''', [stmId]).collect { new LinkedHashMap(it) as Map }
        }
    }

    Map completeInstruction(UUID inmId, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow('''
                UPDATE instructions_inm i
                   SET inm_is_completed = true, inm_completed_at = now(),
                       usr_id_completed_by = (SELECT usr_id FROM users_usr WHERE usr_code = :actor)
                 WHERE i.inm_id = :id AND NOT i.inm_is_completed
                RETURNING i.inm_id::text AS inm_id, i.inm_completed_at
            ''', [id: inmId, actor: actorCode])
            if (!row) {
                throw new NoSuchElementException("Instruction ${inmId} not found or already completed".toString())
            }
            return new LinkedHashMap(row)
        }
    }
}
