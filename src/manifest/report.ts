import { z } from 'zod';
import { SCHEMA_VERSION } from './schema.js';

const bucket = z
  .object({ name: z.string(), bytes: z.number().int().nonnegative(), files: z.number().int().nonnegative() })
  .strict();

/**
 * `<package>.report.json`: what a build measured around the package — the project tree before the build (.git/,
 * logs/, node_modules/, each component) and the packed bytes after. It lives beside the archive, never inside it,
 * so files the package does not contain cannot change its digest.
 */
export const buildReportSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    packageName: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    buildId: z.string().min(1),
    sizes: z
      .object({
        before: z
          .object({
            totalBytes: z.number().int().nonnegative(),
            totalFiles: z.number().int().nonnegative(),
            categories: z.array(bucket),
          })
          .strict()
          .nullable(),
        after: z
          .object({
            categories: z.array(bucket),
            contentBytes: z.number().int().nonnegative(),
            tarBytes: z.number().int().nonnegative(),
            archiveBytes: z.number().int().nonnegative(),
          })
          .strict(),
        compressionRatio: z.number(),
        reduction: z.number().nullable(),
      })
      .strict(),
  })
  .strict();

export type BuildReport = z.infer<typeof buildReportSchema>;

/** `<dir>/<name>-v<version>-<stamp>.report.json` for `<…>.tar.gz`. */
export function reportPathFor(packagePath: string): string {
  return packagePath.replace(/\.tar\.gz$/, '') + '.report.json';
}
