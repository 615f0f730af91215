package umig.api.v2

import com.atlassian.confluence.user.AuthenticatedUserThreadLocal
import com.onresolve.scriptrunner.runner.rest.common.CustomEndpointDelegate
import groovy.json.JsonBuilder
import groovy.transform.BaseScript
import umig.repository.DatabaseVersionRepository
import umig.utils.DatabaseUtil
import umig.utils.ResponseUtil
import umig.utils.SecurityUtils
import umig.utils.UMIGVersion

import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import javax.servlet.http.HttpServletRequest
import javax.ws.rs.core.MultivaluedMap
import javax.ws.rs.core.Response

/**
 * Database version endpoints (US-088-B):
 *   GET /rest/scriptrunner/latest/custom/databaseVersions            applied changesets (paged)
 *   GET /rest/scriptrunner/latest/custom/databaseVersions/health     system health, HTTP 200 / 206 / 503
 *   GET /rest/scriptrunner/latest/custom/databaseVersionsPackageSQL  the self-contained SQL package
 *
 * The health body keeps the shape deployment tooling reads (overall.status, components.*, metrics.*). Figures the
 * endpoint cannot measure are null with a reason rather than a constant that looks like a measurement.
 */
@BaseScript CustomEndpointDelegate delegate

final DateTimeFormatter ISO_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC)
final long SLOW_DATABASE_MS = 1000L

DatabaseVersionRepository getRepository() {
    return new DatabaseVersionRepository()
}

String currentUserKey() {
    return AuthenticatedUserThreadLocal.get()?.name ?: 'anonymous'
}

/** Worst status wins: any UNHEALTHY component makes the system UNHEALTHY, any DEGRADED makes it DEGRADED. */
String calculateOverallHealth(Map components) {
    List<String> statuses = components.values().collect { Map c -> c.status as String }
    if (statuses.contains('UNHEALTHY')) {
        return 'UNHEALTHY'
    }
    if (statuses.contains('DEGRADED')) {
        return 'DEGRADED'
    }
    return 'HEALTHY'
}

Map checkDatabaseHealth(DatabaseVersionRepository repository, long slowMs) {
    long roundTrip = DatabaseUtil.measureRoundTripMillis()
    if (roundTrip < 0) {
        return [status: 'UNHEALTHY', migrationsCount: null, lastMigration: null, responseTime: null, reason: 'database unreachable']
    }
    Map lock = repository.lockState
    Map result = [
        status         : roundTrip > slowMs || lock.locked ? 'DEGRADED' : 'HEALTHY',
        migrationsCount: repository.migrationCount,
        lastMigration  : repository.lastMigration,
        responseTime   : roundTrip,
    ]
    if (lock.locked) {
        result.reason = "Liquibase lock held by ${lock.lockedBy} since ${lock.lockGranted}".toString()
    } else if (roundTrip > slowMs) {
        result.reason = "round trip ${roundTrip} ms exceeds ${slowMs} ms".toString()
    }
    return result
}

Map memoryUsage() {
    Runtime rt = Runtime.runtime
    return [usedBytes: rt.totalMemory() - rt.freeMemory(), totalBytes: rt.totalMemory(), maxBytes: rt.maxMemory()]
}

Map diskUsage() {
    File root = new File(System.getProperty('confluence.home') ?: '.')
    long total = root.totalSpace
    long free = root.usableSpace
    return [totalBytes: total, freeBytes: free, usedPercent: total > 0 ? Math.round(1000d * (total - free) / total) / 10d : null]
}

databaseVersionsHealth(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    try {
        DatabaseVersionRepository repository = getRepository()
        Map components = [
            database: checkDatabaseHealth(repository, SLOW_DATABASE_MS),
            api     : [status: 'HEALTHY', endpointsCount: 4, averageResponseTime: null, errorRate: null, reason: 'request metrics are collected by the reverse proxy'],
            security: [status: 'HEALTHY', rating: null, lastScan: null, vulnerabilities: null, reason: 'no scan report available to ScriptRunner'],
        ]
        Map healthData = [
            overall   : [
                status   : calculateOverallHealth(components),
                timestamp: ISO_SECONDS.format(Instant.now()),
                version  : UMIGVersion.VERSION,
                uptime   : UMIGVersion.uptimeSeconds(),
            ],
            components: components,
            metrics   : [
                activeConnections: null,
                requestsPerMinute: null,
                memoryUsage      : memoryUsage(),
                diskUsage        : diskUsage(),
            ],
        ]
        String status = healthData.overall.status
        int httpStatus = status == 'HEALTHY' ? 200 : status == 'DEGRADED' ? 206 : 503
        return Response.status(httpStatus).entity(new JsonBuilder(healthData).toString()).type('application/json').build()
    } catch (Exception e) {
        Map errorResponse = [
            overall: [status: 'UNHEALTHY'],
            error  : [message: 'Health check failed', details: e.message, timestamp: ISO_SECONDS.format(Instant.now())],
        ]
        return Response.status(503).entity(new JsonBuilder(errorResponse).toString()).type('application/json').build()
    }
}

databaseVersions(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        int page = Math.max(1, (queryParams.getFirst('page') ?: '1') as int)
        int size = Math.min(100, Math.max(1, (queryParams.getFirst('size') ?: '50') as int))
        String exectype = queryParams.getFirst('exectype') as String
        if (exectype && !(exectype in ['EXECUTED', 'MARK_RAN', 'RERAN', 'FAILED', 'SKIPPED'])) {
            throw new SecurityUtils.BadRequestException('exectype must be EXECUTED, MARK_RAN, RERAN, FAILED or SKIPPED')
        }
        DatabaseVersionRepository repository = getRepository()
        int total = repository.countChangesets(exectype)
        List<Map> rows = repository.findChangesets((page - 1) * size, size, exectype)
        return ResponseUtil.ok([data: rows, pagination: [page: page, size: size, total: total, totalPages: Math.max(1, (int) Math.ceil(total / size))]])
    }
}

databaseVersionsPackageSQL(httpMethod: "GET", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        // Packages are large and generated from disk; 30 per minute per user as in the seed's limit.
        SecurityUtils.checkRateLimit(currentUserKey(), 'databaseVersionsPackageSQL')
        String filename = SecurityUtils.validateFilenameInput(queryParams.getFirst('filename') as String ?: 'umig-database-package') + '.sql'
        String sqlPackage = getRepository().generateSelfContainedSqlPackage()
        return Response.ok(sqlPackage)
            .header('Content-Type', 'text/plain; charset=utf-8')
            .header('Content-Disposition', "attachment; filename=${filename}".toString())
            .header('ETag', '"' + SecurityUtils.sha256Hex(sqlPackage) + '"')
            .header('Cache-Control', 'no-store')
            .build()
    }
}
