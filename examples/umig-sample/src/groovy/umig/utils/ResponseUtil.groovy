package umig.utils

import groovy.json.JsonBuilder
import groovy.json.JsonOutput
import groovy.util.logging.Slf4j

import java.sql.SQLException
import javax.ws.rs.core.Response

/**
 * ResponseUtil - consistent JSON responses and error mapping for every endpoint.
 *
 * PostgreSQL errors are translated by SQLSTATE so clients get 409 for a unique or foreign-key conflict instead
 * of a 500 with a stack trace; unexpected errors are logged with a correlation id that the response carries.
 */
@Slf4j
class ResponseUtil {

    static Response ok(Object body) {
        return Response.ok(new JsonBuilder(body).toString()).type('application/json').build()
    }

    static Response created(Object body) {
        return Response.status(Response.Status.CREATED).entity(new JsonBuilder(body).toString()).type('application/json').build()
    }

    static Response noContent() {
        return Response.noContent().build()
    }

    static Response error(int status, String message, Map extra = [:]) {
        Map body = [error: message] + extra
        return Response.status(status).entity(JsonOutput.toJson(body)).type('application/json').build()
    }

    /** Wraps an endpoint body: validation errors become 400, limits 429, constraint violations 409, the rest 500. */
    static Response handle(Closure<Response> action) {
        try {
            return action.call()
        } catch (SecurityUtils.BadRequestException e) {
            return error(400, e.message)
        } catch (SecurityUtils.RateLimitExceededException e) {
            return Response.status(429)
                .header('Retry-After', String.valueOf(e.retryAfterSeconds))
                .entity(JsonOutput.toJson([error: e.message]))
                .type('application/json')
                .build()
        } catch (NoSuchElementException e) {
            return error(404, e.message ?: 'Not found')
        } catch (SQLException e) {
            return mapSqlException(e)
        } catch (Exception e) {
            String correlationId = UUID.randomUUID().toString()
            log.error("Unexpected error (correlation ${correlationId})", e)
            return error(500, 'Internal error; quote the correlation id when reporting it', [correlationId: correlationId])
        }
    }

    static Response mapSqlException(SQLException e) {
        switch (e.SQLState) {
            case '23505':
                return error(409, 'An item with the same unique value already exists', [constraint: constraintName(e)])
            case '23503':
                return error(409, 'The item is still referenced by other items, or refers to an item that does not exist', [constraint: constraintName(e)])
            case '23514':
                return error(400, 'A value violates a database rule', [constraint: constraintName(e)])
            case '57014':
                return error(503, 'The database query took too long; try again')
            default:
                String correlationId = UUID.randomUUID().toString()
                log.error("Database error ${e.SQLState} (correlation ${correlationId})", e)
                return error(500, 'Database error; quote the correlation id when reporting it', [correlationId: correlationId])
        }
    }

    /** Extracts the constraint name from a PostgreSQL message ("... constraint \"uq_tms_name\""), if present. */
    static String constraintName(SQLException e) {
        def matcher = (e.message ?: '') =~ /constraint "([^"]+)"/
        return matcher.find() ? matcher.group(1) : null
    }
}
