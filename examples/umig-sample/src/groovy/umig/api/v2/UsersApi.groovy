package umig.api.v2

import com.atlassian.confluence.user.AuthenticatedUserThreadLocal
import com.onresolve.scriptrunner.runner.rest.common.CustomEndpointDelegate
import groovy.json.JsonSlurper
import groovy.transform.BaseScript
import groovy.transform.Field
import umig.repository.UserRepository
import umig.utils.ResponseUtil
import umig.utils.SecurityUtils

import javax.servlet.http.HttpServletRequest
import javax.ws.rs.core.MultivaluedMap

/**
 * Users endpoints:
 *   GET    users         list (page, size, search, teamId, active, admin, sort, direction)
 *   POST   users         create (trigram must be unique, three capital letters)
 *   PUT    users/{id}    update (the trigram cannot change)
 *   DELETE users/{id}    delete an inactive user (active users must be deactivated first: 409)
 */
@BaseScript CustomEndpointDelegate delegate

@Field final UserRepository repository = new UserRepository()

String actorCode() {
    String name = AuthenticatedUserThreadLocal.get()?.name
    return name ? repository.findByCode(name.take(3).toUpperCase())?.usr_code as String : null
}

Boolean optionalBoolean(MultivaluedMap queryParams, String name) {
    String value = queryParams.getFirst(name) as String
    if (value == null || value == '' || value == 'all') {
        return null
    }
    if (!(value in ['true', 'false'])) {
        throw new SecurityUtils.BadRequestException("${name} must be true or false".toString())
    }
    return value == 'true'
}

Map parseUser(String body, boolean creating) {
    Map raw = body ? (Map) new JsonSlurper().parseText(body) : [:]
    Map user = [:]
    if (creating) {
        String code = (raw.usr_code as String)?.trim()?.toUpperCase()
        if (!SecurityUtils.isValidUserCode(code)) {
            throw new SecurityUtils.BadRequestException('usr_code must be three capital letters')
        }
        user.usr_code = code
    } else if (raw.containsKey('usr_code')) {
        throw new SecurityUtils.BadRequestException('usr_code cannot be changed once the user exists')
    }
    ['usr_first_name': 50, 'usr_last_name': 50, 'usr_email': 255].each { String field, Integer max ->
        if (creating || raw.containsKey(field)) {
            String value = SecurityUtils.cleanText(raw[field] as String, max)
            if (!value) {
                throw new SecurityUtils.BadRequestException("${field} is required".toString())
            }
            user[field] = value
        }
    }
    if (user.usr_email && !(user.usr_email ==~ /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/)) {
        throw new SecurityUtils.BadRequestException('usr_email is not a valid e-mail address')
    }
    ['usr_is_admin', 'usr_active'].each { String field ->
        if (raw.containsKey(field)) {
            user[field] = raw[field] as Boolean
        }
    }
    if (raw.containsKey('tms_id')) {
        user.tms_id = raw.tms_id == null ? null : SecurityUtils.requirePositiveInt(raw.tms_id.toString(), 'tms_id')
    }
    return user
}

users(httpMethod: "GET", groups: ["confluence-users"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        Map query = [
            page     : Math.max(1, (queryParams.getFirst('page') ?: '1') as int),
            size     : Math.min(100, Math.max(1, (queryParams.getFirst('size') ?: '25') as int)),
            search   : SecurityUtils.cleanText(queryParams.getFirst('search') as String, 100),
            teamId   : queryParams.getFirst('teamId') ? SecurityUtils.requirePositiveInt(queryParams.getFirst('teamId') as String, 'teamId') : null,
            active   : optionalBoolean(queryParams, 'active'),
            admin    : optionalBoolean(queryParams, 'admin'),
            sort     : queryParams.getFirst('sort'),
            direction: queryParams.getFirst('direction'),
        ]
        return ResponseUtil.ok(repository.findUsers(query))
    }
}

users(httpMethod: "POST", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        return ResponseUtil.created(repository.createUser(parseUser(body, true), actorCode()))
    }
}

users(httpMethod: "PUT", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        Integer usrId = SecurityUtils.requirePositiveInt(getAdditionalPath(request)?.replaceAll('/', ''), 'user id')
        return ResponseUtil.ok(repository.updateUser(usrId, parseUser(body, false), actorCode()))
    }
}

users(httpMethod: "DELETE", groups: ["umig-admins"]) { MultivaluedMap queryParams, String body, HttpServletRequest request ->
    return ResponseUtil.handle {
        Integer usrId = SecurityUtils.requirePositiveInt(getAdditionalPath(request)?.replaceAll('/', ''), 'user id')
        if (repository.deleteInactiveUser(usrId, actorCode())) {
            return ResponseUtil.noContent()
        }
        return ResponseUtil.error(409, 'Only inactive users can be deleted; deactivate the user first')
    }
}
