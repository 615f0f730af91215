package umig.repository

import groovy.sql.GroovyRowResult
import groovy.sql.Sql
import umig.utils.DatabaseUtil

/**
 * UserRepository - users_usr.
 *
 * The trigram (usr_code) is immutable after creation because audit rows and runsheet sign-offs refer to it.
 */
class UserRepository {

    static final Map<String, String> SORTABLE = [
        usr_code         : 'u.usr_code',
        display_name     : 'u.usr_last_name',
        usr_email        : 'u.usr_email',
        team_name        : 't.tms_name',
        usr_is_admin     : 'u.usr_is_admin',
        usr_active       : 'u.usr_active',
        usr_last_login_at: 'u.usr_last_login_at',
    ].asImmutable()

    static final List<String> UPDATABLE = ['usr_first_name', 'usr_last_name', 'usr_email', 'usr_is_admin', 'usr_active', 'tms_id']

    Map findUsers(Map query) {
        int page = (query.page ?: 1) as int
        int size = (query.size ?: 25) as int
        String orderBy = SORTABLE[query.sort as String] ?: 'u.usr_last_name'
        String dir = (query.direction as String)?.equalsIgnoreCase('desc') ? 'DESC' : 'ASC'
        List<String> filters = []
        Map params = [limit: size, offset: (page - 1) * size]
        if (query.search) {
            filters << '(lower(u.usr_code || \' \' || u.usr_first_name || \' \' || u.usr_last_name || \' \' || u.usr_email) LIKE :search)'
            params.search = "%${query.search.toString().toLowerCase()}%".toString()
        }
        if (query.teamId) {
            filters << 'u.tms_id = :teamId'
            params.teamId = query.teamId as Integer
        }
        if (query.active != null) {
            filters << 'u.usr_active = :active'
            params.active = query.active as Boolean
        }
        if (query.admin != null) {
            filters << 'u.usr_is_admin = :admin'
            params.admin = query.admin as Boolean
        }
        String where = filters ? "WHERE ${filters.join(' AND ')}" : ''
        return DatabaseUtil.withSql { Sql sql ->
            List<GroovyRowResult> rows = sql.rows("""
                SELECT u.usr_id, u.usr_code, u.usr_first_name, u.usr_last_name, u.usr_email, u.usr_is_admin,
                       u.usr_active, u.tms_id, u.usr_last_login_at, t.tms_name AS team_name
                  FROM users_usr u
                  LEFT JOIN teams_tms t ON t.tms_id = u.tms_id
                  ${where}
                 ORDER BY ${orderBy} ${dir} NULLS LAST, u.usr_id
                 LIMIT :limit OFFSET :offset
            """.toString(), params)
            GroovyRowResult total = sql.firstRow("SELECT count(*) AS n FROM users_usr u LEFT JOIN teams_tms t ON t.tms_id = u.tms_id ${where}".toString(), params)
            int n = ((Number) total.n).intValue()
            return [data: rows.collect { new LinkedHashMap(it) }, pagination: [page: page, size: size, total: n, totalPages: Math.max(1, (int) Math.ceil(n / size))]]
        }
    }

    Map findByCode(String usrCode) {
        return DatabaseUtil.withSql { Sql sql ->
            GroovyRowResult row = sql.firstRow('SELECT usr_id, usr_code, usr_first_name, usr_last_name, usr_is_admin, usr_active FROM users_usr WHERE usr_code = ?', [usrCode])
            return row ? new LinkedHashMap(row) : null
        }
    }

    Map createUser(Map user, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow('''
                INSERT INTO users_usr (usr_code, usr_first_name, usr_last_name, usr_email, usr_is_admin, tms_id)
                VALUES (:usr_code, :usr_first_name, :usr_last_name, :usr_email, coalesce(:usr_is_admin, false), :tms_id)
                RETURNING usr_id, usr_code, usr_first_name, usr_last_name, usr_email, usr_is_admin, usr_active, tms_id
            ''', [usr_is_admin: false, tms_id: null] + user)
            if (row.tms_id) {
                sql.executeUpdate('INSERT INTO teams_tms_x_users_usr (tms_id, usr_id, created_by) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
                    [row.tms_id, row.usr_id, actorCode])
            }
            return new LinkedHashMap(row)
        }
    }

    Map updateUser(Integer usrId, Map changes, String actorCode) {
        Map updates = changes.subMap(UPDATABLE.findAll { changes.containsKey(it) })
        if (!updates) {
            throw new IllegalArgumentException('Nothing to update')
        }
        String assignments = updates.keySet().collect { "${it} = :${it}" }.join(', ')
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow("""
                UPDATE users_usr SET ${assignments}, updated_at = now() WHERE usr_id = :usr_id
                RETURNING usr_id, usr_code, usr_first_name, usr_last_name, usr_email, usr_is_admin, usr_active, tms_id
            """.toString(), updates + [usr_id: usrId])
            if (!row) {
                throw new NoSuchElementException("User ${usrId} not found".toString())
            }
            return new LinkedHashMap(row)
        }
    }

    /** Only inactive users can be deleted; active ones must be deactivated first (see UsersApi). */
    boolean deleteInactiveUser(Integer usrId, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            return sql.executeUpdate('DELETE FROM users_usr WHERE usr_id = ? AND usr_active = false', [usrId]) == 1
        }
    }

    void recordLogin(String usrCode) {
        DatabaseUtil.withSql { Sql sql ->
            sql.executeUpdate('UPDATE users_usr SET usr_last_login_at = now() WHERE usr_code = ?', [usrCode])
        }
    }
}
