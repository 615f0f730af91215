package umig.api.v2

import com.atlassian.confluence.user.AuthenticatedUserThreadLocal
import com.onresolve.scriptrunner.runner.rest.common.CustomEndpointDelegate
import groovy.json.JsonSlurper
import groovy.transform.BaseScript
import groovy.transform.Field
import umig.repository.TeamRepository
import umig.repository.UserRepository
import umig.utils.ResponseUtil
import umig.utils.SecurityUtils

import javax.servlet.http.HttpServletRequest
import javax.ws.rs.core.MultivaluedMap
import javax.ws.rs.core.Response

/**
 * Teams endpoints:
 *   GET    teams                      list (page, size, search, sort, direction, hasMembers)
 *   GET    teams/{id}                 one team
 *   POST   teams                      create
 *   PUT    teams/{id}                 update
 *   DELETE teams/{id}                 delete (refused with 409 while the team owns steps)
 *   GET    teams/{id}/users           members
 *   PUT    teams/{id}/users/{userId}  add member (idempotent)
 *   DELETE teams/{id}/users/{userId}  remove member
 */
@BaseScript CustomEndpointDelegate delegate

@Field final TeamRepository teamRepository = new TeamRepository()
@Field final UserRepository userRepository = new UserRepository()

/** Trigram of the calling Confluence user, used for the audit trail; null for users not in users_usr. */
String actorCode() {
    String name = AuthenticatedUserThreadLocal.get()?.name
    Map user = name ? userRepository.findByCode(name.take(3).toUpperCase()) : null
    return user?.usr_code as String
}

List<String> pathSegments(HttpServletRequest request) {
    String extra = getAdditionalPath(request) ?: ''
    return extra.split('/').findAll { String s -> s } as List<String>
}

Map parseTeam(String body, boolean partial) {
    Map raw = body ? (Map) new JsonSlurper().parseText(body) : [:]
    Map team = [:]
    if (raw.containsKey('tms_name') || !partial) {
        String name = SecurityUtils.cleanText(raw.tms_name as String, 64)
        if (!name) {
            throw new SecurityUtils.BadRequestException('tms_name is required')
        }
        team.tms_name = name
    }
    if (raw.containsKey('tms_email') || !partial) {
        String email = SecurityUtils.cleanText(raw.tms_email as String, 255)
        if (email && !(email ==~ /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/)) {
            throw new SecurityUtils.BadRequestException('tms_email is not a valid e-mail address')
        }
        team.tms_email = email
    }
    if (raw.containsKey('tms_description') || !partial) {
        team.tms_description = SecurityUtils.cleanText(raw.tms_description as String, 2000)
    }
    return team
}

teams(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = pathSegments(request)
        if (path.size() == 0) {
            int page = Math.max(1, (queryParams.getFirst('page') ?: '1') as int)
            int size = Math.min(100, Math.max(1, (queryParams.getFirst('size') ?: '25') as int))
            String hasMembers = queryParams.getFirst('hasMembers') as String
            return ResponseUtil.ok(teamRepository.findTeams(page, size,
                SecurityUtils.cleanText(queryParams.getFirst('search') as String, 100),
                queryParams.getFirst('sort') as String, queryParams.getFirst('direction') as String,
                hasMembers == null ? null : hasMembers == 'true'))
        }
        Integer tmsId = SecurityUtils.requirePositiveInt(path[0], 'team id')
        if (path.size() == 1) {
            return ResponseUtil.ok(teamRepository.findTeamById(tmsId))
        }
        if (path.size() == 2 && path[1] == 'users') {
            return ResponseUtil.ok(teamRepository.findMembers(tmsId))
        }
        return ResponseUtil.error(404, "Unknown path teams/${path.join('/')}".toString())
    }
}

teams(httpMethod: "POST", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        return ResponseUtil.created(teamRepository.createTeam(parseTeam(body, false), actorCode()))
    }
}

teams(httpMethod: "PUT", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = pathSegments(request)
        Integer tmsId = SecurityUtils.requirePositiveInt(path ? path[0] : null, 'team id')
        if (path.size() == 3 && path[1] == 'users') {
            Integer usrId = SecurityUtils.requirePositiveInt(path[2], 'user id')
            boolean added = teamRepository.addMember(tmsId, usrId, actorCode())
            return ResponseUtil.ok([tms_id: tmsId, usr_id: usrId, added: added])
        }
        return ResponseUtil.ok(teamRepository.updateTeam(tmsId, parseTeam(body, true), actorCode()))
    }
}

teams(httpMethod: "DELETE", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        List<String> path = pathSegments(request)
        Integer tmsId = SecurityUtils.requirePositiveInt(path ? path[0] : null, 'team id')
        if (path.size() == 3 && path[1] == 'users') {
            Integer usrId = SecurityUtils.requirePositiveInt(path[2], 'user id')
            return teamRepository.removeMember(tmsId, usrId, actorCode()) ? ResponseUtil.noContent() : ResponseUtil.error(404, 'Membership not found')
        }
        return teamRepository.deleteTeam(tmsId, actorCode()) ? ResponseUtil.noContent() : ResponseUtil.error(404, "Team ${tmsId} not found".toString())
    }
}
