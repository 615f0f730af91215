import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** What Slipway uses from `<root>/package.json`, read once when the config loads. */
export interface PackageJsonFacts {
  /** Absolute path of the file. */
  file: string;
  /** The parsed object; null when there is no file or it cannot be used (then `problem` says why). */
  document: Record<string, unknown> | null;
  /** Why an existing package.json cannot be used (unreadable, not JSON, not an object); null otherwise. */
  problem: string | null;
  version: string | null;
  /** `engines.node` / `engines.npm` when they are strings. */
  engines: { node?: string; npm?: string };
}

/** Reads `<rootDir>/package.json` once; a missing file is no error (a project need not be a Node project). */
export async function readPackageJson(rootDir: string): Promise<PackageJsonFacts> {
  const file = path.join(rootDir, 'package.json');
  const none = { file, document: null, version: null, engines: {} };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ...none,
      problem: code === 'ENOENT' || code === 'ENOTDIR' ? null : `cannot read: ${(e as Error).message}`,
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ...none, problem: `not valid JSON: ${(e as Error).message}` };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { ...none, problem: 'not a JSON object' };
  const document = doc as Record<string, unknown>;
  const engines = (document.engines ?? {}) as Record<string, unknown>;
  return {
    file,
    document,
    problem: null,
    version: typeof document.version === 'string' ? document.version : null,
    engines: {
      ...(typeof engines.node === 'string' ? { node: engines.node } : {}),
      ...(typeof engines.npm === 'string' ? { npm: engines.npm } : {}),
    },
  };
}
