package umig.utils

import groovy.transform.CompileStatic

import java.security.MessageDigest
import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import java.util.regex.Pattern

/**
 * SecurityUtils - input validation, output sanitising and rate limiting for the REST endpoints.
 *
 * ScriptRunner already restricts every endpoint to Confluence groups; these helpers cover what group checks do
 * not: malformed ids, path traversal in file names, HTML in free text, and clients that call too often.
 */
@CompileStatic
class SecurityUtils {

    static final int MAX_FILENAME_LENGTH = 100
    static final int DEFAULT_RATE_LIMIT_PER_MINUTE = 30

    private static final Pattern USER_CODE = ~/^[A-Z]{3}$/
    private static final Pattern UUID_PATTERN = ~/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
    private static final Pattern UNSAFE_FILENAME_CHARS = ~/[\.\/\\:*?"<>|\x00-\x1f]/
    private static final Map<String, List<Long>> REQUEST_LOG = new ConcurrentHashMap<String, List<Long>>()

    /** Thrown for input the endpoints refuse; the endpoint maps it to HTTP 400. */
    static class BadRequestException extends RuntimeException {
        BadRequestException(String message) {
            super(message)
        }
    }

    /** Thrown when a caller exceeds the rate limit; mapped to HTTP 429 with Retry-After. */
    static class RateLimitExceededException extends RuntimeException {
        final long retryAfterSeconds

        RateLimitExceededException(String message, long retryAfterSeconds) {
            super(message)
            this.retryAfterSeconds = retryAfterSeconds
        }
    }

    static boolean isValidUserCode(String code) {
        return code != null && USER_CODE.matcher(code).matches()
    }

    static boolean isValidUuid(String value) {
        return value != null && UUID_PATTERN.matcher(value).matches()
    }

    /** Parses a UUID path segment or throws BadRequestException naming the parameter. */
    static UUID requireUuid(String value, String parameterName) {
        if (!isValidUuid(value)) {
            throw new BadRequestException("Invalid ${parameterName}: expected a UUID".toString())
        }
        return UUID.fromString(value)
    }

    /** Parses a positive integer id or throws BadRequestException naming the parameter. */
    static Integer requirePositiveInt(String value, String parameterName) {
        if (value == null || !value.isInteger() || value.toInteger() <= 0) {
            throw new BadRequestException("Invalid ${parameterName}: expected a positive integer".toString())
        }
        return value.toInteger()
    }

    /** Sanitises a requested file name to prevent path traversal (dots, slashes and colons become "_"). */
    static String validateFilenameInput(String filename) {
        if (!filename) {
            throw new BadRequestException('Filename is required')
        }
        String cleaned = UNSAFE_FILENAME_CHARS.matcher(filename).replaceAll('_')
        if (cleaned.length() > MAX_FILENAME_LENGTH) {
            throw new BadRequestException("Filename too long (max ${MAX_FILENAME_LENGTH} characters)".toString())
        }
        return sanitizeForOutput(cleaned)
    }

    /** HTML-escapes a value for safe inclusion in any HTML context; null becomes the empty string. */
    static String sanitizeForOutput(Object value) {
        if (value == null) {
            return ''
        }
        StringBuilder out = new StringBuilder()
        for (char c : value.toString().toCharArray()) {
            switch (c) {
                case '&' as char: out.append('&amp;'); break
                case '<' as char: out.append('&lt;'); break
                case '>' as char: out.append('&gt;'); break
                case '"' as char: out.append('&quot;'); break
                case '\'' as char: out.append('&#39;'); break
                default: out.append(c)
            }
        }
        return out.toString()
    }

    /** Trims free text, removes control characters and caps the length; returns null for blank input. */
    static String cleanText(String value, int maxLength) {
        if (value == null) {
            return null
        }
        String cleaned = value.replaceAll(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/, '').trim()
        if (cleaned.isEmpty()) {
            return null
        }
        if (cleaned.length() > maxLength) {
            throw new BadRequestException("Text too long (${cleaned.length()} > ${maxLength} characters)".toString())
        }
        return cleaned
    }

    /**
     * Sliding-window limiter per user and endpoint: at most `limit` calls per minute. In-memory on purpose:
     * one Confluence node serves a user's session, and a restart resetting the window is acceptable.
     */
    static void checkRateLimit(String userKey, String endpoint, int limit = DEFAULT_RATE_LIMIT_PER_MINUTE) {
        String key = "${userKey}|${endpoint}".toString()
        long now = Instant.now().toEpochMilli()
        long windowStart = now - 60_000L
        List<Long> calls = REQUEST_LOG.computeIfAbsent(key) { String k -> Collections.synchronizedList(new ArrayList<Long>()) }
        synchronized (calls) {
            calls.removeIf { Long t -> t < windowStart }
            if (calls.size() >= limit) {
                long retryAfter = Math.max(1L, (long) Math.ceil((calls[0] + 60_000L - now) / 1000d))
                throw new RateLimitExceededException("Rate limit of ${limit} requests per minute exceeded for ${endpoint}".toString(), retryAfter)
            }
            calls.add(now)
        }
    }

    /** Hex SHA-256 of a string (UTF-8), used for ETags of generated packages. */
    static String sha256Hex(String text) {
        MessageDigest digest = MessageDigest.getInstance('SHA-256')
        byte[] hash = digest.digest(text.getBytes('UTF-8'))
        return hash.collect { byte b -> String.format('%02x', b & 0xff) }.join('')
    }

    /** Clears the limiter (tests only). */
    static void resetRateLimits() {
        REQUEST_LOG.clear()
    }
}
