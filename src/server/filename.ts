import { HttpError } from './http-error.js';

export const MAX_FILENAME_LENGTH = 100;

/**
 * Sanitises a requested download name. The seed replaces `. / \ :` with `_` and rejects names over 100 characters
 * (US-088 guide, validateFilenameInput); we also replace anything outside [A-Za-z0-9_-] so quotes, spaces, CR/LF and
 * non-ASCII can never reach the Content-Disposition header. Returns the name with `.sql` appended.
 */
export function sanitizeFilename(raw: string): string {
  const seed = raw.replace(/[./\\:]/g, '_');
  if (seed.length > MAX_FILENAME_LENGTH) {
    throw new HttpError(400, 'E_VALIDATION', `query field "filename": longer than ${MAX_FILENAME_LENGTH} characters`, {
      field: 'filename',
    });
  }
  const safe = seed.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/[A-Za-z0-9]/.test(safe)) {
    throw new HttpError(400, 'E_VALIDATION', 'query field "filename": needs at least one letter or digit', {
      field: 'filename',
    });
  }
  return `${safe}.sql`;
}
