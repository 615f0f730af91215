package umig.utils

import groovy.sql.Sql
import groovy.transform.CompileStatic
import groovy.util.logging.Slf4j

import java.sql.Connection
import java.sql.SQLException
import javax.naming.InitialContext
import javax.sql.DataSource

/**
 * DatabaseUtil - one way to get a connection inside ScriptRunner.
 *
 * Confluence exposes the UMIG PostgreSQL database as a JNDI data source ("java:comp/env/jdbc/umig"); outside
 * Confluence (tests, local runs) the UMIG_DB_URL / UMIG_DB_USER / UMIG_DB_PASSWORD environment variables are used.
 * Every caller goes through withSql so connections are always closed, and withTransaction so a failed
 * multi-statement change never half-commits.
 */
@Slf4j
class DatabaseUtil {

    static final String JNDI_NAME = 'java:comp/env/jdbc/umig'

    /** SQLSTATE classes worth one retry: connection exceptions (08) and serialization failures (40001). */
    private static final Set<String> RETRYABLE_STATES = ['08000', '08003', '08006', '40001', '40P01'] as Set

    private static volatile DataSource cachedDataSource

    /** Runs the closure with a groovy.sql.Sql bound to a fresh connection, closing it afterwards. */
    static <T> T withSql(Closure<T> closure) {
        Connection connection = openConnection()
        Sql sql = new Sql(connection)
        try {
            return closure.call(sql)
        } finally {
            sql.close()
        }
    }

    /** Like withSql, inside one transaction: committed when the closure returns, rolled back when it throws. */
    static <T> T withTransaction(Closure<T> closure) {
        return withSql { Sql sql ->
            T result = null
            sql.withTransaction {
                result = closure.call(sql)
            }
            return result
        }
    }

    /** Retries the closure once when PostgreSQL reports a transient condition (failover, serialization). */
    static <T> T withRetry(Closure<T> closure) {
        try {
            return withTransaction(closure)
        } catch (SQLException e) {
            if (!RETRYABLE_STATES.contains(e.SQLState)) {
                throw e
            }
            log.warn("Transient database error ${e.SQLState}; retrying once: ${e.message}")
            Thread.sleep(200)
            return withTransaction(closure)
        }
    }

    /** Sets the acting user for the audit trigger (fn_audit_row reads umig.usr_code) for this transaction. */
    static void setAuditUser(Sql sql, String userCode) {
        if (userCode && SecurityUtils.isValidUserCode(userCode)) {
            sql.execute("SELECT set_config('umig.usr_code', ?, true)", [userCode])
        }
    }

    /** Measures a trivial round trip in milliseconds, or -1 when the database cannot be reached. */
    static long measureRoundTripMillis() {
        long started = System.nanoTime()
        try {
            withSql { Sql sql -> sql.firstRow('SELECT 1 AS ok') }
            return Math.round((System.nanoTime() - started) / 1_000_000d)
        } catch (Exception e) {
            log.warn("Database round trip failed: ${e.message}")
            return -1L
        }
    }

    @CompileStatic
    private static Connection openConnection() {
        DataSource dataSource = lookupDataSource()
        if (dataSource != null) {
            return dataSource.connection
        }
        String url = System.getenv('UMIG_DB_URL')
        if (!url) {
            throw new IllegalStateException("No data source ${JNDI_NAME} and no UMIG_DB_URL; cannot reach the UMIG database")
        }
        Sql sql = Sql.newInstance(url, System.getenv('UMIG_DB_USER') ?: 'umig', System.getenv('UMIG_DB_PASSWORD') ?: '', 'org.postgresql.Driver')
        return sql.connection
    }

    private static DataSource lookupDataSource() {
        if (cachedDataSource != null) {
            return cachedDataSource
        }
        try {
            cachedDataSource = (DataSource) new InitialContext().lookup(JNDI_NAME)
        } catch (Exception ignored) {
            // Not running inside Confluence: fall back to the environment variables.
            cachedDataSource = null
        }
        return cachedDataSource
    }
}
