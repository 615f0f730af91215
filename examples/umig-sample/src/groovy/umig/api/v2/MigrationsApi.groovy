package umig.api.v2

import com.atlassian.confluence.user.AuthenticatedUserThreadLocal
import com.onresolve.scriptrunner.runner.rest.common.CustomEndpointDelegate
import groovy.json.JsonSlurper
import groovy.transform.BaseScript
import groovy.transform.Field
import umig.repository.MigrationRepository
import umig.repository.UserRepository
import umig.utils.ResponseUtil
import umig.utils.SecurityUtils

import java.time.LocalDate
import java.time.format.DateTimeParseException
import javax.servlet.http.HttpServletRequest
import javax.ws.rs.core.MultivaluedMap

/**
 * Migration endpoints:
 *   GET    migrations                       list (page, size, search, status, type, sort, direction)
 *   GET    migrations/{id}/iterations       iterations of a migration
 *   GET    migrations/{id}/progress         progress per iteration (view v_iteration_progress)
 *   POST   migrations                       create (status PLANNING)
 *   PUT    migrations/{id}/status           change status ({ "status": "IN_PROGRESS" })
 *   DELETE migrations/{id}                  delete with all iterations, plans and steps
 *   GET    status?entityType=Migration      the status vocabulary of an entity type
 */
@BaseScript CustomEndpointDelegate delegate

@Field final MigrationRepository repository = new MigrationRepository()
@Field final UserRepository users = new UserRepository()
@Field final List<String> MIGRATION_TYPES = ['EXTERNAL', 'INTERNAL', 'MAINTENANCE']
@Field final List<String> ENTITY_TYPES = ['Migration', 'Iteration', 'Plan', 'Step', 'Instruction']

String actorCode() {
    String name = AuthenticatedUserThreadLocal.get()?.name
    return name ? users.findByCode(name.take(3).toUpperCase())?.usr_code as String : null
}

String optionalDate(Map raw, String field) {
    String value = raw[field] as String
    if (!value) {
        return null
    }
    try {
        return LocalDate.parse(value).toString()
    } catch (DateTimeParseException ignored) {
        throw new SecurityUtils.BadRequestException("${field} must be a date like 2026-06-13".toString())
    }
}

migrations(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = (getAdditionalPath(request) ?: '').split('/').findAll { it } as List<String>
        if (path.isEmpty()) {
            return ResponseUtil.ok(repository.findMigrations([
                page     : Math.max(1, (queryParams.getFirst('page') ?: '1') as int),
                size     : Math.min(100, Math.max(1, (queryParams.getFirst('size') ?: '25') as int)),
                search   : SecurityUtils.cleanText(queryParams.getFirst('search') as String, 100),
                status   : queryParams.getFirst('status'),
                type     : queryParams.getFirst('type'),
                sort     : queryParams.getFirst('sort'),
                direction: queryParams.getFirst('direction'),
            ]))
        }
        UUID mgrId = SecurityUtils.requireUuid(path[0], 'migration id')
        switch (path.size() > 1 ? path[1] : '') {
            case 'iterations':
                return ResponseUtil.ok(repository.findIterations(mgrId))
            case 'progress':
                return ResponseUtil.ok(repository.findProgress(mgrId))
            default:
                return ResponseUtil.error(404, "Unknown path migrations/${path.join('/')}".toString())
        }
    }
}

migrations(httpMethod: "POST", groups: ["umig-admins", "umig-migration-managers"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        Map raw = body ? (Map) new JsonSlurper().parseText(body) : [:]
        String name = SecurityUtils.cleanText(raw.mgr_name as String, 255)
        if (!name) {
            throw new SecurityUtils.BadRequestException('mgr_name is required')
        }
        String type = (raw.mgr_type ?: 'EXTERNAL') as String
        if (!(type in MIGRATION_TYPES)) {
            throw new SecurityUtils.BadRequestException("mgr_type must be one of ${MIGRATION_TYPES.join(', ')}".toString())
        }
        Map migration = [
            mgr_name                 : name,
            mgr_description          : SecurityUtils.cleanText(raw.mgr_description as String, 10_000),
            mgr_type                 : type,
            mgr_start_date           : optionalDate(raw, 'mgr_start_date'),
            mgr_end_date             : optionalDate(raw, 'mgr_end_date'),
            mgr_business_cutover_date: optionalDate(raw, 'mgr_business_cutover_date'),
            usr_id_owner             : raw.usr_id_owner ? SecurityUtils.requirePositiveInt(raw.usr_id_owner.toString(), 'usr_id_owner') : null,
        ]
        if (migration.mgr_start_date && migration.mgr_end_date && migration.mgr_end_date < migration.mgr_start_date) {
            throw new SecurityUtils.BadRequestException('mgr_end_date is before mgr_start_date')
        }
        return ResponseUtil.created(repository.createMigration(migration, actorCode()))
    }
}

migrations(httpMethod: "PUT", groups: ["umig-admins", "umig-migration-managers"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = (getAdditionalPath(request) ?: '').split('/').findAll { it } as List<String>
        if (path.size() != 2 || path[1] != 'status') {
            return ResponseUtil.error(404, 'Use PUT migrations/{id}/status')
        }
        UUID mgrId = SecurityUtils.requireUuid(path[0], 'migration id')
        Map raw = body ? (Map) new JsonSlurper().parseText(body) : [:]
        String status = raw.status as String
        if (!(status ==~ /^[A-Z_]{3,50}$/)) {
            throw new SecurityUtils.BadRequestException('status is required (e.g. IN_PROGRESS)')
        }
        return ResponseUtil.ok(repository.updateStatus(mgrId, status, actorCode()))
    }
}

migrations(httpMethod: "DELETE", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        UUID mgrId = SecurityUtils.requireUuid(getAdditionalPath(request)?.replaceAll('/', ''), 'migration id')
        return repository.deleteMigration(mgrId, actorCode()) ? ResponseUtil.noContent() : ResponseUtil.error(404, 'Migration not found')
    }
}

status(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        String entityType = (queryParams.getFirst('entityType') ?: 'Step') as String
        if (!(entityType in ENTITY_TYPES)) {
            throw new SecurityUtils.BadRequestException("entityType must be one of ${ENTITY_TYPES.join(', ')}".toString())
        }
        return ResponseUtil.ok(repository.findStatuses(entityType))
    }
}
