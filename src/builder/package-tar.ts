/**
 * A minimal, deterministic ustar (+ pax for long paths / huge files) writer.
 *
 * Hand-written rather than node-tar because node-tar (v7, `tar.c`) archives paths as they are on disk relative to
 * `cwd`, takes each entry's mode from `stat()` and has no per-entry path or mode override, while our entries come from
 * two places (the source tree and the compile cache) and must land under `application/`, `database/`… with exactly
 * 0644/0755. The gzip framing is ours too (see package-gzip.ts) so the header bytes never depend on the zlib build.
 * node-tar is still used to READ archives in validate.ts, so every build is checked by an independent implementation.
 */

export const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777; // 8 GiB - 1: the largest size an 11-digit ustar field holds

export interface TarHeaderInput {
  /** POSIX path; directories end with `/`. */
  path: string;
  type: 'file' | 'dir';
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  // length-1 zero-padded octal digits then NUL, as GNU tar and bsdtar write them.
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

/** Splits a path into ustar (prefix, name) or returns null when it does not fit (then a pax `path` record is used). */
export function splitUstarPath(p: string): { prefix: string; name: string } | null {
  const bytes = Buffer.byteLength(p, 'utf8');
  if (bytes <= 100) return { prefix: '', name: p };
  // Split at a `/` so that prefix ≤ 155 bytes and name ≤ 100 bytes (the trailing `/` of a dir stays in name).
  for (let i = p.length - 1; i > 0; i--) {
    if (p[i] !== '/' || i === p.length - 1) continue;
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name };
  }
  return null;
}

function rawHeader(h: {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
}): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, 0, 100, h.name);
  writeOctal(buf, 100, 8, h.mode);
  writeOctal(buf, 108, 8, 0); // uid
  writeOctal(buf, 116, 8, 0); // gid
  writeOctal(buf, 124, 12, h.size);
  writeOctal(buf, 136, 12, h.mtime);
  buf.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  writeString(buf, 156, 1, h.typeflag);
  writeString(buf, 257, 6, 'ustar\0');
  writeString(buf, 263, 2, '00');
  // uname/gname stay empty; devmajor/devminor are zero for regular files and dirs.
  writeOctal(buf, 329, 8, 0);
  writeOctal(buf, 337, 8, 0);
  writeString(buf, 345, 155, h.prefix);
  let sum = 0;
  for (const b of buf) sum += b;
  writeString(buf, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return buf;
}

/** One pax record: `<len> key=value\n`, where len counts the whole record including its own digits. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body, 'utf8');
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(bodyLen).length) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

/** Zero bytes that pad `size` up to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The header block(s) for one entry: a pax extended header first when the path or size does not fit ustar. */
export function encodeHeader(h: TarHeaderInput): Buffer {
  const typeflag = h.type === 'dir' ? '5' : '0';
  const split = splitUstarPath(h.path);
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', h.path));
  if (h.size > MAX_OCTAL_11) records.push(paxRecord('size', String(h.size)));
  const main = rawHeader({
    name: split ? split.name : truncateBytes(h.path, 100),
    prefix: split ? split.prefix : '',
    mode: h.mode,
    size: h.size > MAX_OCTAL_11 ? 0 : h.size,
    mtime: h.mtime,
    typeflag,
  });
  if (records.length === 0) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  // A fixed pax header name (no pid, unlike GNU tar's default) keeps the archive reproducible.
  const paxHeader = rawHeader({
    name: 'PaxHeader',
    prefix: '',
    mode: 0o644,
    size: pax.length,
    mtime: h.mtime,
    typeflag: 'x',
  });
  return Buffer.concat([paxHeader, pax, padding(pax.length), main]);
}

function truncateBytes(s: string, max: number): string {
  let out = s;
  while (Buffer.byteLength(out) > max) out = out.slice(1);
  return out;
}

/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
