package umig.repository

import groovy.sql.GroovyRowResult
import groovy.sql.Sql
import umig.utils.DatabaseUtil

/**
 * TeamRepository - teams_tms and the team membership table teams_tms_x_users_usr.
 *
 * Sorting is restricted to a whitelist of columns because ORDER BY cannot be parameterised.
 */
class TeamRepository {

    static final Map<String, String> SORTABLE = [
        tms_id      : 't.tms_id',
        tms_name    : 't.tms_name',
        tms_email   : 't.tms_email',
        member_count: 'member_count',
    ].asImmutable()

    Map findTeams(int page, int size, String search, String sort, String direction, Boolean hasMembers) {
        String orderBy = SORTABLE[sort] ?: 't.tms_name'
        String dir = direction?.equalsIgnoreCase('desc') ? 'DESC' : 'ASC'
        Map params = [search: search ? "%${search.toLowerCase()}%".toString() : null, limit: size, offset: (page - 1) * size]
        List<String> filters = []
        if (search) {
            filters << '(lower(t.tms_name) LIKE :search OR lower(t.tms_email) LIKE :search)'
        }
        if (hasMembers != null) {
            filters << (hasMembers ? 'EXISTS (SELECT 1 FROM teams_tms_x_users_usr x WHERE x.tms_id = t.tms_id)'
                                   : 'NOT EXISTS (SELECT 1 FROM teams_tms_x_users_usr x WHERE x.tms_id = t.tms_id)')
        }
        String where = filters ? "WHERE ${filters.join(' AND ')}" : ''

        return DatabaseUtil.withSql { Sql sql ->
            List<GroovyRowResult> rows = sql.rows("""
                SELECT t.tms_id, t.tms_name, t.tms_email, t.tms_description,
                       (SELECT count(*) FROM teams_tms_x_users_usr x WHERE x.tms_id = t.tms_id) AS member_count,
                       (SELECT count(*) FROM steps_stm s WHERE s.tms_id_owner = t.tms_id)       AS owned_steps
                  FROM teams_tms t
                  ${where}
                 ORDER BY ${orderBy} ${dir}, t.tms_id
                 LIMIT :limit OFFSET :offset
            """.toString(), params)
            GroovyRowResult total = sql.firstRow("SELECT count(*) AS n FROM teams_tms t ${where}".toString(), params)
            return [
                data      : rows.collect { new LinkedHashMap(it) },
                pagination: [page: page, size: size, total: ((Number) total.n).intValue(), totalPages: Math.max(1, (int) Math.ceil(((Number) total.n) / size))],
            ]
        }
    }

    Map findTeamById(Integer tmsId) {
        return DatabaseUtil.withSql { Sql sql ->
            GroovyRowResult row = sql.firstRow('SELECT tms_id, tms_name, tms_email, tms_description FROM teams_tms WHERE tms_id = ?', [tmsId])
            if (!row) {
                throw new NoSuchElementException("Team ${tmsId} not found".toString())
            }
            return new LinkedHashMap(row)
        }
    }

    Map createTeam(Map team, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow('''
                INSERT INTO teams_tms (tms_name, tms_email, tms_description)
                VALUES (:tms_name, :tms_email, :tms_description)
                RETURNING tms_id, tms_name, tms_email, tms_description
            ''', team)
            return new LinkedHashMap(row)
        }
    }

    Map updateTeam(Integer tmsId, Map changes, String actorCode) {
        List<String> allowed = ['tms_name', 'tms_email', 'tms_description']
        Map updates = changes.subMap(allowed.findAll { changes.containsKey(it) })
        if (!updates) {
            return findTeamById(tmsId)
        }
        String assignments = updates.keySet().collect { "${it} = :${it}" }.join(', ')
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow("""
                UPDATE teams_tms SET ${assignments}, updated_at = now()
                 WHERE tms_id = :tms_id
                RETURNING tms_id, tms_name, tms_email, tms_description
            """.toString(), updates + [tms_id: tmsId])
            if (!row) {
                throw new NoSuchElementException("Team ${tmsId} not found".toString())
            }
            return new LinkedHashMap(row)
        }
    }

    boolean deleteTeam(Integer tmsId, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            return sql.executeUpdate('DELETE FROM teams_tms WHERE tms_id = ?', [tmsId]) == 1
        }
    }

    List<Map> findMembers(Integer tmsId) {
        return DatabaseUtil.withSql { Sql sql ->
            sql.rows('''
                SELECT u.usr_id, u.usr_code, u.usr_first_name, u.usr_last_name, u.usr_email, x.created_at AS member_since
                  FROM teams_tms_x_users_usr x
                  JOIN users_usr u ON u.usr_id = x.usr_id
                 WHERE x.tms_id = ?
                 ORDER BY u.usr_last_name, u.usr_first_name
            ''', [tmsId]).collect { new LinkedHashMap(it) as Map }
        }
    }

    /** Idempotent: adding an existing member is not an error (ON CONFLICT DO NOTHING). */
    boolean addMember(Integer tmsId, Integer usrId, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            return sql.executeUpdate('''
                INSERT INTO teams_tms_x_users_usr (tms_id, usr_id, created_by) VALUES (?, ?, ?)
                ON CONFLICT (tms_id, usr_id) DO NOTHING
            ''', [tmsId, usrId, actorCode]) == 1
        }
    }

    boolean removeMember(Integer tmsId, Integer usrId, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            return sql.executeUpdate('DELETE FROM teams_tms_x_users_usr WHERE tms_id = ? AND usr_id = ?', [tmsId, usrId]) == 1
        }
    }
}
