import type { z } from 'zod';
import { HttpError } from './http-error.js';

/** Parses untrusted request input with zod; a failure is a 400 naming the first bad field (never echoing its value). */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown, where: 'query' | 'params' | 'body'): z.infer<S> {
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue && issue.path.length ? issue.path.map(String).join('.') : where;
  const detail = issue?.code === 'unrecognized_keys' ? `unknown field(s) ${(issue as { keys?: string[] }).keys?.join(', ')}` : issue?.message ?? 'invalid';
  const name = issue?.code === 'unrecognized_keys' ? where : field;
  return failValidation(name, `${where} field "${name}": ${detail}`);
}

function failValidation(field: string, message: string): never {
  // Messages come from our schemas, never from the rejected value, so nothing user-controlled is reflected.
  throw new HttpError(400, 'E_VALIDATION', message, { field });
}
