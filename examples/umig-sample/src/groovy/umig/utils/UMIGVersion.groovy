package umig.utils

import groovy.json.JsonSlurper
import groovy.transform.CompileStatic

/**
 * UMIGVersion - the version of the deployed build.
 *
 * Read once from build-manifest.json, which the build writes into the release root; a checkout without a
 * manifest reports "development" instead of inventing a number.
 */
@CompileStatic
final class UMIGVersion {

    static final String MANIFEST_PROPERTY = 'umig.manifest.path'
    static final String VERSION = loadVersion()
    static final long STARTED_AT = System.currentTimeMillis()

    private UMIGVersion() {
    }

    static long uptimeSeconds() {
        return (long) ((System.currentTimeMillis() - STARTED_AT) / 1000L)
    }

    private static String loadVersion() {
        String path = System.getProperty(MANIFEST_PROPERTY) ?: System.getenv('UMIG_MANIFEST_PATH')
        if (!path) {
            return 'development'
        }
        File manifest = new File(path)
        if (!manifest.isFile()) {
            return 'development'
        }
        try {
            Map parsed = (Map) new JsonSlurper().parse(manifest)
            return parsed.version?.toString() ?: 'development'
        } catch (Exception ignored) {
            return 'development'
        }
    }
}
