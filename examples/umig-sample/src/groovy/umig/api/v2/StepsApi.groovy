package umig.api.v2

import com.atlassian.confluence.user.AuthenticatedUserThreadLocal
import com.onresolve.scriptrunner.runner.rest.common.CustomEndpointDelegate
import groovy.json.JsonSlurper
import groovy.transform.BaseScript
import groovy.transform.Field
import umig.repository.StepRepository
import umig.repository.UserRepository
import umig.utils.ResponseUtil
import umig.utils.SecurityUtils

import javax.servlet.http.HttpServletRequest
import javax.ws.rs.core.MultivaluedMap

/**
 * Runsheet endpoints:
 *   GET steps?planId=…                        steps of a plan (page, size, status, sort, direction)
 *   GET steps/{id}/instructions                instructions of a step
 *   PUT steps/{id}                             change status ({ "stm_status": "IN_PROGRESS" }); 409 for a
 *                                              transition the runsheet does not allow
 *   PUT steps/{id}/instructions/{inmId}        mark an instruction done
 */
@BaseScript CustomEndpointDelegate delegate

@Field final StepRepository repository = new StepRepository()
@Field final UserRepository users = new UserRepository()

String actorCode() {
    String name = AuthenticatedUserThreadLocal.get()?.name
    return name ? users.findByCode(name.take(3).toUpperCase())?.usr_code as String : null
}

steps(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = (getAdditionalPath(request) ?: '').split('/').findAll { it } as List<String>
        if (path.size() == 2 && path[1] == 'instructions') {
            return ResponseUtil.ok(repository.findInstructions(SecurityUtils.requireUuid(path[0], 'step id')))
        }
        if (!path.isEmpty()) {
            return ResponseUtil.error(404, "Unknown path steps/${path.join('/')}".toString())
        }
        UUID planId = SecurityUtils.requireUuid(queryParams.getFirst('planId') as String, 'planId')
        return ResponseUtil.ok(repository.findSteps(planId, [
            page     : Math.max(1, (queryParams.getFirst('page') ?: '1') as int),
            size     : Math.min(500, Math.max(1, (queryParams.getFirst('size') ?: '100') as int)),
            status   : queryParams.getFirst('status'),
            sort     : queryParams.getFirst('sort'),
            direction: queryParams.getFirst('direction'),
        ]))
    }
}

steps(httpMethod: "PUT", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = (getAdditionalPath(request) ?: '').split('/').findAll { it } as List<String>
        String actor = actorCode()
        if (!actor) {
            return ResponseUtil.error(403, 'Only registered UMIG users can change the runsheet')
        }
        if (path.size() == 3 && path[1] == 'instructions') {
            return ResponseUtil.ok(repository.completeInstruction(SecurityUtils.requireUuid(path[2], 'instruction id'), actor))
        }
        UUID stmId = SecurityUtils.requireUuid(path ? path[0] : null, 'step id')
        Map raw = body ? (Map) new JsonSlurper().parseText(body) : [:]
        String status = raw.stm_status as String
        if (!StepRepository.TRANSITIONS.containsKey(status)) {
            throw new SecurityUtils.BadRequestException("stm_status must be one of ${StepRepository.TRANSITIONS.keySet().join(', ')}".toString())
        }
        try {
            return ResponseUtil.ok(repository.changeStatus(stmId, status, actor))
        } catch (IllegalStateException e) {
            return ResponseUtil.error(409, e.message)
        }
    }
}
