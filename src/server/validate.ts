import type { z } from 'zod';
import { HttpError } from './http-error.js';

/** Parses untrusted request input with zod; a failure is a 400 naming the first bad field (never echoing its value). */
export function parseInput<S extends z.ZodType>(
  schema: S,
  data: unknown,
  where: 'query' | 'params' | 'body',
): z.infer<S> {
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    // Only plain key names are repeated back; anything else is described, not echoed.
    const key = ((issue as { keys?: string[] }).keys ?? [])[0] ?? '';
    const name = /^[A-Za-z0-9_.-]{1,40}$/.test(key) ? key : where;
    return failValidation(name, `${where}: unknown field${name === where ? '' : ` "${name}"`}`);
  }
  const name = issue && issue.path.length ? issue.path.map(String).join('.') : where;
  const detail = issue?.message ?? 'invalid';
  return failValidation(name, `${where} field "${name}": ${detail}`);
}

function failValidation(field: string, message: string): never {
  // Messages come from our schemas, never from the rejected value, so nothing user-controlled is reflected.
  throw new HttpError(400, 'E_VALIDATION', message, { field });
}
