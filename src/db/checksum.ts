/**
 * Liquibase 4.28 checksums without a JVM. Facts measured against `liquibase calculate-checksum` / `changelog-sync`
 * (see test/integration/db-checksum-oracle.test.ts) and read from liquibase-core 4.28.0 bytecode:
 *  - an SQL change (`<sql>`, formatted-SQL changeset body) hashes as md5 of its UTF-8 bytes with every space, tab,
 *    CR and LF removed (AbstractSQLChange.NormalizingStream); the text is taken after `${property}` expansion;
 *  - an `<sqlFile>` change hashes the file's raw bytes the same way, WITHOUT property expansion and regardless of
 *    stripComments/splitStatements;
 *  - any other change (e.g. tagDatabase) hashes its StringChangeLogSerializer form, e.g. `tagDatabase:[\n    tag="v1"\n]`;
 *  - a changeset's MD5SUM is "9:" + md5 of the concatenation of "<change checksum>:" for each change
 *    (ChangeSet.generateCheckSum), where a change checksum prints as "9:<hex>".
 */
import { hash } from 'node:crypto';
import { SlipwayError } from '../errors.js';

// One-shot crypto.hash (Node ≥ 20.12): a createHash object costs ~5 µs, four per changeset (0.2 s per 10,000).
function md5hex(data: string | Uint8Array): string {
  return hash('md5', data, 'hex');
}

function isSpaceByte(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/**
 * Working memory for sqlChangeChecksums, reused across calls (two Buffers per SQL change were ~4 % of the bytes a
 * 10,000-changeset package allocates). Grown up to SCRATCH_MAX; a larger change gets its own buffer.
 */
let scratch = Buffer.allocUnsafe(0);
const SCRATCH_MAX = 1 << 20;

function workBuffer(size: number): Buffer {
  if (size <= scratch.length) return scratch;
  const buf = Buffer.allocUnsafe(Math.max(size, Math.min(2 * scratch.length, SCRATCH_MAX)));
  if (buf.length <= SCRATCH_MAX) scratch = buf;
  return buf;
}

/** Checksum of one SQL change ("9:<hex>") from its text (UTF-8) or raw bytes (sqlFile). */
export function sqlChangeChecksumV9(sql: string | Uint8Array): string {
  return sqlChangeChecksums(sql, null).v9;
}

export interface SqlChangeOptionsV8 {
  endDelimiter: string | null;
  splitStatements: boolean;
  /** null prints as "null" in the V8 header, as Java does for an unset Boolean. */
  stripComments: boolean | null;
}

/**
 * Pre-4.24 ("8:") checksum of one SQL change (liquibase NormalizingStreamV8): md5 of the header
 * `<endDelimiter>:<splitStatements>:<stripComments>:` followed by the SQL bytes with each run of spaces, tabs, CR
 * and LF collapsed to one space and the ends trimmed.
 */
export function sqlChangeChecksumV8(sql: string | Uint8Array, o: SqlChangeOptionsV8): string {
  return sqlChangeChecksums(sql, o).v8!;
}

/**
 * Both checksums of one SQL change from one UTF-8 encoding and one pass over its bytes: "9:" = md5 of the bytes with
 * 0x20, 0x09, 0x0D, 0x0A removed (NormalizingStream); "8:" (when `v8` is given) = md5 of the V8 header and the bytes
 * with each whitespace run collapsed to one space, ends trimmed (NormalizingStreamV8).
 */
export function sqlChangeChecksums(
  sql: string | Uint8Array,
  v8: SqlChangeOptionsV8 | null,
): { v9: string; v8: string | null } {
  const header = v8
    ? `${v8.endDelimiter ?? 'null'}:${String(v8.splitStatements)}:${v8.stripComments === null ? 'null' : String(v8.stripComments)}:`
    : '';
  // One buffer: the UTF-8 bytes (at most 3 per UTF-16 unit), compacted in place into the "9:" input (it never
  // overtakes the byte being read), then the "8:" input — V8 header and collapsed bytes — after them.
  const room = typeof sql === 'string' ? 3 * sql.length : sql.length;
  const out = workBuffer(2 * room + (v8 ? 3 * header.length : 0));
  const len = typeof sql === 'string' ? out.write(sql, 0, 'utf8') : (out.set(sql, 0), sql.length);
  const head8 = v8 ? room + out.write(header, room, 'utf8') : room;
  normalizeBytes(out, len, head8, v8 !== null);
  const v9 = '9:' + md5hex(out.subarray(0, normalized[0]!));
  if (!v8) return { v9, v8: null };
  return { v9, v8: '8:' + md5hex(out.subarray(room, normalized[1]!)) };
}

/** Where normalizeBytes's two inputs end: the "9:" input at 0, the "8:" input after the V8 header. */
const normalized = new Int32Array(2);

/**
 * The pass over an SQL change's bytes out[0, len): the bytes other than 0x20, 0x09, 0x0D, 0x0A compacted in place
 * (NormalizingStream), and with `v8` each whitespace run collapsed to one space, ends trimmed, written from `head8`
 * (NormalizingStreamV8); their ends in `normalized`. A function of its own so that V8 optimises this loop alone:
 * inside sqlChangeChecksums the loop made that function hot, and V8 compiled it whole with the hashing it inlines.
 */
function normalizeBytes(out: Buffer, len: number, head8: number, v8: boolean): void {
  let n9 = 0;
  let n8 = head8;
  let pendingSpace = false;
  for (let i = 0; i < len; i++) {
    const b = out[i]!;
    if (isSpaceByte(b)) {
      pendingSpace = n8 > head8;
      continue;
    }
    out[n9++] = b;
    if (v8) {
      if (pendingSpace) out[n8++] = 0x20;
      pendingSpace = false;
      out[n8++] = b;
    }
  }
  normalized[0] = n9;
  normalized[1] = n8;
}

/** CheckSum.compute(InputStream): "9:" + md5 of the bytes as they are (loadData's CSV, after its own filtering). */
export function bytesChecksumV9(bytes: Uint8Array): string {
  return '9:' + md5hex(bytes);
}

/** A changeset's "8:" MD5SUM from its changes' V8 checksums (same composition as V9). */
export function changeSetChecksumV8(changeChecksums: string[]): string {
  return '8:' + md5hex(joinSums(changeChecksums, ':'));
}

/**
 * Each sum followed by `after`, concatenated (ChangeSet.generateCheckSum's text; no intermediate array). The sums are
 * this module's output, so the text needs none of normalizeForCheckSum's steps.
 */
function joinSums(sums: string[], after: string): string {
  let text = '';
  for (const s of sums) text += s + after;
  return text;
}

/** Checksum of a change Liquibase hashes through its string serializer (tagDatabase: `tagDatabase:[\n    tag="v1"\n]`). */
export function serializedChangeChecksumV9(serialized: string): string {
  return '9:' + md5hex(normalizeForCheckSum(serialized));
}

/** Checksum of a tagDatabase change; null (YAML `- tagDatabase:`) serialises with no field: `tagDatabase:[]`. */
export function tagDatabaseChecksumV9(tag: string | null): string {
  return serializedChangeChecksumV9(tag === null ? 'tagDatabase:[]' : `tagDatabase:[\n    tag="${tag}"\n]`);
}

/** A changeset's MD5SUM from its changes' checksums, in order. */
export function changeSetChecksumV9(changeChecksums: string[], visitorChecksums: string[] = []): string {
  // ChangeSet.generateCheckSum: each change's checksum + ":", then each modifySql visitor's + ";". Hashed as it is:
  // CheckSum.compute(String)'s normalisation (line endings, BOM, NFC) changes no character of it, every piece being
  // a checksum printed by this module ("<version>:<hex>"); testing that per changeset was 0.7 % of a CPU profile of
  // `db package` on 10,000 changesets.
  const text = joinSums(changeChecksums, ':') + joinSums(visitorChecksums, ';');
  return '9:' + md5hex(text);
}

/** Liquibase "9:" MD5SUM of a changeset made of one SQL change (formatted SQL, single `<sql>`): `sqlText` after property expansion. */
export function checksumV9(sqlText: string): string {
  return changeSetChecksumV9([sqlChangeChecksumV9(sqlText)]);
}

/**
 * A text none of normalizeForCheckSum's steps changes: no CR, no BOM and nothing outside ASCII (NFC leaves ASCII as it
 * is). Most serialised changes are such texts: one scan instead of three passes (two replaces and ICU's normalize).
 */
const UNCHANGED_BY_NORMALIZING = /^[^\r\u0080-\uffff]*$/;

/** CheckSum.compute(String): standardised line endings, NFC (the BOM-removal step does not apply to hex input). */
function normalizeForCheckSum(s: string): string {
  // Also covers texts made of "<n>:<hex>" pieces (sqlBodyChecksum's `<head>:<body sum>`).
  if (UNCHANGED_BY_NORMALIZING.test(s)) return s;
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\uFEFF/g, '')
    .normalize('NFC');
}

export interface StoredChecksum {
  version: number;
  hex: string;
}

/** Parses a databasechangelog MD5SUM ("8:…", "9:…"); null for NULL/empty; throws E_CHECKSUM when malformed. */
export function parseStoredChecksum(value: string | null | undefined): StoredChecksum | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const m = /^(\d+):([0-9a-f]{32})$/.exec(value.trim());
  if (!m) {
    // Liquibase 1.x stored bare hex without a version prefix; treat it as version 1.
    if (/^[0-9a-f]{32}$/.test(value.trim())) return { version: 1, hex: value.trim() };
    throw new SlipwayError('E_CHECKSUM', `Malformed checksum ${JSON.stringify(value)} in databasechangelog`, {
      hint: 'Expected "<version>:<32 hex digits>", e.g. "9:d2e6c788a7ad4f8dfa0dd3c162241364"; run `liquibase clear-checksums` if the column was edited by hand.',
    });
  }
  return { version: Number(m[1]), hex: m[2]! };
}

/** Validates an "8:" checksum read from an existing databasechangelog row and returns it normalised (lower-case). */
export function checksumV8(stored: string): string {
  const parsed = parseStoredChecksum(stored.toLowerCase());
  if (!parsed || parsed.version !== 8) {
    throw new SlipwayError('E_CHECKSUM', `Not a Liquibase "8:" checksum: ${JSON.stringify(stored)}`, {
      hint: 'V8 checksums look like "8:<32 hex digits>"; Liquibase 4.24+ writes "9:" checksums.',
    });
  }
  return `8:${parsed.hex}`;
}

/**
 * Whether a databasechangelog MD5SUM still matches the changeset, as Liquibase 4.28 validate decides: NULL matches
 * (cleared checksums are recomputed), "9:" rows compare with `checksum`, "8:" rows with `checksumV8`, and any
 * `validCheckSum` entry equal to the stored value (or `ANY`) is accepted. Case-insensitive.
 */
export function isChecksumAccepted(
  stored: string | null,
  cs: { checksum: string; checksumV8?: string; validCheckSums: string[] },
): boolean {
  if (stored === null || stored.trim() === '') return true;
  const s = stored.trim().toLowerCase();
  if (s === cs.checksum.toLowerCase()) return true;
  if (cs.checksumV8 !== undefined && s === cs.checksumV8.toLowerCase()) return true;
  return cs.validCheckSums.some((v) => v.trim().toLowerCase() === 'any' || v.trim().toLowerCase() === s);
}
