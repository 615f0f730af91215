package umig.repository

import groovy.sql.GroovyRowResult
import groovy.sql.Sql
import umig.utils.DatabaseUtil

/**
 * MigrationRepository - migrations_mgr and iterations_ite.
 *
 * Statuses are stored as foreign keys to status_sts and exposed by name; the repository translates both ways so
 * the API never leaks numeric status ids that differ between environments.
 */
class MigrationRepository {

    static final Map<String, String> SORTABLE = [
        mgr_name                 : 'm.mgr_name',
        mgr_type                 : 'm.mgr_type',
        mgr_status               : 's.sts_order',
        mgr_start_date           : 'm.mgr_start_date',
        mgr_end_date             : 'm.mgr_end_date',
        mgr_business_cutover_date: 'm.mgr_business_cutover_date',
        usr_code_owner           : 'u.usr_code',
    ].asImmutable()

    Map findMigrations(Map query) {
        int page = (query.page ?: 1) as int
        int size = (query.size ?: 25) as int
        String orderBy = SORTABLE[query.sort as String] ?: 'm.mgr_start_date'
        String dir = (query.direction as String)?.equalsIgnoreCase('desc') ? 'DESC' : 'ASC'
        List<String> filters = []
        Map params = [limit: size, offset: (page - 1) * size]
        if (query.search) {
            filters << '(lower(m.mgr_name) LIKE :search OR lower(coalesce(m.mgr_description, \'\')) LIKE :search)'
            params.search = "%${query.search.toString().toLowerCase()}%".toString()
        }
        if (query.status) {
            filters << 's.sts_name = :status'
            params.status = query.status as String
        }
        if (query.type) {
            filters << 'm.mgr_type = :type'
            params.type = query.type as String
        }
        String where = filters ? "WHERE ${filters.join(' AND ')}" : ''
        String from = '''
              FROM migrations_mgr m
              JOIN status_sts s ON s.sts_id = m.mgr_status
              LEFT JOIN users_usr u ON u.usr_id = m.usr_id_owner
        '''
        return DatabaseUtil.withSql { Sql sql ->
            List<GroovyRowResult> rows = sql.rows("""
                SELECT m.mgr_id::text AS mgr_id, m.mgr_name, m.mgr_description, m.mgr_type, s.sts_name AS mgr_status,
                       s.sts_color AS mgr_status_color, m.mgr_start_date, m.mgr_end_date, m.mgr_business_cutover_date,
                       u.usr_code AS usr_code_owner, m.usr_id_owner
                ${from}
                ${where}
                 ORDER BY ${orderBy} ${dir} NULLS LAST, m.mgr_name
                 LIMIT :limit OFFSET :offset
            """.toString(), params)
            GroovyRowResult total = sql.firstRow("SELECT count(*) AS n ${from} ${where}".toString(), params)
            int n = ((Number) total.n).intValue()
            return [data: rows.collect { new LinkedHashMap(it) }, pagination: [page: page, size: size, total: n, totalPages: Math.max(1, (int) Math.ceil(n / size))]]
        }
    }

    Map createMigration(Map migration, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow('''
                INSERT INTO migrations_mgr (mgr_name, mgr_description, mgr_type, mgr_status, mgr_start_date, mgr_end_date,
                                            mgr_business_cutover_date, usr_id_owner, created_by)
                SELECT :mgr_name, :mgr_description, :mgr_type, s.sts_id, CAST(:mgr_start_date AS date), CAST(:mgr_end_date AS date),
                       CAST(:mgr_business_cutover_date AS date), :usr_id_owner, :actor
                  FROM status_sts s
                 WHERE s.sts_type = 'Migration' AND s.sts_name = 'PLANNING'
                RETURNING mgr_id::text AS mgr_id, mgr_name
            ''', [mgr_description: null, mgr_start_date: null, mgr_end_date: null, mgr_business_cutover_date: null, usr_id_owner: null] + migration + [actor: actorCode])
            return new LinkedHashMap(row)
        }
    }

    Map updateStatus(UUID mgrId, String statusName, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            GroovyRowResult row = sql.firstRow('''
                UPDATE migrations_mgr m
                   SET mgr_status = s.sts_id, updated_at = now(), updated_by = :actor
                  FROM status_sts s
                 WHERE m.mgr_id = :id AND s.sts_type = 'Migration' AND s.sts_name = :status
                RETURNING m.mgr_id::text AS mgr_id, s.sts_name AS mgr_status
            ''', [id: mgrId, status: statusName, actor: actorCode])
            if (!row) {
                throw new NoSuchElementException("Migration ${mgrId} or status ${statusName} not found".toString())
            }
            return new LinkedHashMap(row)
        }
    }

    boolean deleteMigration(UUID mgrId, String actorCode) {
        return DatabaseUtil.withTransaction { Sql sql ->
            DatabaseUtil.setAuditUser(sql, actorCode)
            return sql.executeUpdate('DELETE FROM migrations_mgr WHERE mgr_id = ?', [mgrId]) == 1
        }
    }

    List<Map> findIterations(UUID mgrId) {
        return DatabaseUtil.withSql { Sql sql ->
            sql.rows('''
                SELECT i.ite_id::text AS ite_id, i.ite_name, i.ite_type, s.sts_name AS ite_status,
                       i.ite_static_cutover_date, i.ite_dynamic_cutover_date
                  FROM iterations_ite i
                  JOIN status_sts s ON s.sts_id = i.ite_status
                 WHERE i.mgr_id = ?
                 ORDER BY i.ite_static_cutover_date NULLS LAST, i.ite_name
            ''', [mgrId]).collect { new LinkedHashMap(it) as Map }
        }
    }

    /** Progress per iteration from the reporting view v_iteration_progress (db/changelog/changes/007-views.sql). */
    List<Map> findProgress(UUID mgrId) {
        return DatabaseUtil.withSql { Sql sql ->
            sql.rows('SELECT * FROM v_iteration_progress WHERE mgr_id = ? ORDER BY ite_name', [mgrId]).collect { new LinkedHashMap(it) as Map }
        }
    }

    List<Map> findStatuses(String entityType) {
        return DatabaseUtil.withSql { Sql sql ->
            sql.rows('SELECT sts_id, sts_name, sts_color, sts_order FROM status_sts WHERE sts_type = ? ORDER BY sts_order', [entityType])
                .collect { new LinkedHashMap(it) as Map }
        }
    }
}
