import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildReportSchema, reportPathFor } from '../../manifest/report.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { parseInput } from '../validate.js';
import { targetOf } from './releases.js';

const reportQuery = z
  .object({
    release: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a release id (letters, digits, . _ -)')
      .refine((s) => !s.includes('..'), 'must not contain ".."')
      .optional(),
  })
  .strict();

/**
 * GET /api/report[?release=ID]: the `<package>.report.json` of the live (or given) release — the size report the
 * build wrote beside the package in the build output directory (it is never inside the archive). The report is served
 * only when its digest is the release's (release ids end with the package digest's first 12 hex digits).
 */
export function registerReportRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/report', { config: { access: 'read' } }, async (req) => {
    const q = parseInput(reportQuery, req.query, 'query');
    const target = targetOf(ctx);
    const release =
      q.release ??
      (await readlink(path.join(target.root, 'current')).then(
        (l) => path.basename(l),
        () => {
          throw new HttpError(404, 'E_NOT_FOUND', 'no live release on the target');
        },
      ));
    let packageName: string;
    try {
      const m = JSON.parse(
        await readFile(path.join(target.root, 'releases', release, 'build-manifest.json'), 'utf8'),
      ) as { deployment?: { packageName?: unknown } };
      if (typeof m.deployment?.packageName !== 'string') throw new Error('no deployment.packageName');
      packageName = m.deployment.packageName;
    } catch {
      throw new HttpError(404, 'E_NOT_FOUND', `release ${release} has no readable build-manifest.json`);
    }
    const outDir = path.resolve(ctx.config.configDir, ctx.config.build.output);
    const file = reportPathFor(path.join(outDir, path.basename(packageName)));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new HttpError(
        404,
        'E_NOT_FOUND',
        `no size report for release ${release}: ${path.basename(file)} is not in the build output directory ` +
          '(slipway build writes it beside the package; it is not part of the package)',
      );
    }
    let raw: unknown = null;
    try {
      raw = JSON.parse(text);
    } catch {
      /* reported as not valid below */
    }
    const parsed = buildReportSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError(500, 'E_INTERNAL', `${path.basename(file)} is not a valid size report`);
    if (!release.endsWith(`-${parsed.data.sha256.slice(0, 12)}`))
      throw new HttpError(
        404,
        'E_NOT_FOUND',
        `no size report for release ${release}: ${path.basename(file)} describes another build of that package name ` +
          `(sha256 ${parsed.data.sha256.slice(0, 12)}…)`,
      );
    return parsed.data;
  });
}
