/**
 * Tar framing exactly as GNU tar reads it, as a stream of events. Hand-written rather than node-tar's Parser because
 * the two disagree on what is in an archive: node-tar reads on past a single zero block (GNU tar and Python stop
 * there, so entries hidden behind it are installed by one and invisible to the others), ignores data after the
 * end-of-archive marker, and decodes the ustar prefix by an xstar heuristic. Here a lone zero block, non-zero data
 * after the end marker, a missing end marker, a bad header checksum, a pax/GNU long-name header without an entry
 * and a non-file entry with a body are all refused (TarFormatError with a named code), so every reader agrees.
 * Supported: ustar, GNU (`ustar  `) and v7 headers; pax `x` records (path, linkpath, size); GNU `L`/`K` long names.
 */

/** A structural problem after which the rest of the archive cannot be trusted; reading stops. */
export class TarFormatError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BLOCK = 512;
/** After the end marker GNU tar pads to its record size (10 KiB by default); more than this is not padding. */
const MAX_TRAILING_ZEROS = 1024 * 1024;
/** pax and GNU long-name bodies are metadata: a few KiB in practice. */
const MAX_META_BYTES = 1024 * 1024;

export interface TarHeader {
  path: string;
  /** node-tar's type names: File, Directory, SymbolicLink, Link, CharacterDevice, BlockDevice, FIFO, … */
  type: string;
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkpath: string;
  /** Offset of the header block in the uncompressed stream (for messages). */
  offset: number;
  /** pax keywords that change how the entry is read (GNU.sparse.*): refused by the caller. */
  sparse: boolean;
}

export type TarEvent =
  | { kind: 'entry'; header: TarHeader }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'entry-end' }
  | { kind: 'end'; trailingBytes: number };

const TYPES: Record<string, string> = {
  '0': 'File',
  '\0': 'File',
  '1': 'Link',
  '2': 'SymbolicLink',
  '3': 'CharacterDevice',
  '4': 'BlockDevice',
  '5': 'Directory',
  '6': 'FIFO',
  '7': 'ContiguousFile',
  S: 'GNUSparse',
  D: 'GNUDumpDir',
  M: 'GNUMultiVolume',
  V: 'GNUVolumeLabel',
  N: 'GNUOldLongName',
};

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul === -1 ? b : b.subarray(0, nul)).toString('utf8');
}

/** GNU tar's from_header: leading spaces, octal digits, then NUL/space; or base-256 when the top bit is set. */
function numberField(b: Buffer, what: string, offset: number): number {
  if (b[0]! & 0x80) {
    if (b[0] === 0xff) throw new TarFormatError('TAR_CORRUPT', `negative base-256 ${what} in header at ${offset}`);
    let n = b[0]! & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const text = b.toString('latin1');
  const m = /^ *([0-7]*)[ \0]*$/.exec(text);
  if (!m)
    throw new TarFormatError('TAR_CORRUPT', `invalid ${what} field ${JSON.stringify(text)} in header at ${offset}`);
  return m[1] ? parseInt(m[1], 8) : 0;
}

function decodeHeader(b: Buffer, offset: number): Omit<TarHeader, 'sparse'> {
  const stored = numberField(b.subarray(148, 156), 'checksum', offset);
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += b[i]!;
    signed += b[i]! > 127 ? b[i]! - 256 : b[i]!;
  }
  // GNU tar accepts either sum (some old tars summed signed chars).
  if (stored !== unsigned && stored !== signed)
    throw new TarFormatError('TAR_CORRUPT', `header checksum mismatch at offset ${offset}`);
  const typeflag = String.fromCharCode(b[156]!);
  const magic = b.subarray(257, 263).toString('latin1');
  let name = cString(b.subarray(0, 100));
  // POSIX ustar (`ustar\0`) splits long names into prefix/name; GNU (`ustar `) uses those bytes for other fields.
  if (magic === 'ustar\0') {
    const prefix = cString(b.subarray(345, 500));
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    path: name,
    type: TYPES[typeflag] ?? `Unknown(${JSON.stringify(typeflag)})`,
    typeflag,
    mode: numberField(b.subarray(100, 108), 'mode', offset) & 0o7777,
    uid: numberField(b.subarray(108, 116), 'uid', offset),
    gid: numberField(b.subarray(116, 124), 'gid', offset),
    size: numberField(b.subarray(124, 136), 'size', offset),
    linkpath: cString(b.subarray(157, 257)),
    offset,
  };
}

/** Parses pax records (`<len> <key>=<value>\n`, len counting the whole record); malformed → TAR_CORRUPT. */
export function parsePax(body: Buffer, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    if (body[i] === 0 && isZero(body.subarray(i))) break;
    const space = body.indexOf(0x20, i);
    const len = space > i ? Number(body.subarray(i, space).toString('latin1')) : NaN;
    if (!Number.isInteger(len) || len <= 0 || i + len > body.length || body[i + len - 1] !== 0x0a)
      throw new TarFormatError('TAR_CORRUPT', `malformed pax record in extended header at ${offset}`);
    const rec = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new TarFormatError('TAR_CORRUPT', `malformed pax record in extended header at ${offset}`);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Pulls exact byte counts out of a chunked source. */
class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  offset = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** Makes at least n bytes available; false at end of input with fewer. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    return this.buf.length >= n;
  }

  take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += out.length;
    return out;
  }

  /** Up to n bytes (at least 1 unless the input ended). */
  async some(n: number): Promise<Buffer> {
    if (this.buf.length === 0) await this.fill(1);
    return this.take(Math.min(n, this.buf.length));
  }
}

/** Reads a whole metadata body (pax or GNU long name) with its padding. */
async function readMeta(src: ByteSource, h: { size: number; offset: number }, what: string): Promise<Buffer> {
  if (h.size > MAX_META_BYTES)
    throw new TarFormatError('TAR_CORRUPT', `${what} at ${h.offset} declares ${h.size} bytes (over 1 MiB)`);
  const padded = Math.ceil(h.size / BLOCK) * BLOCK;
  if (!(await src.fill(padded)))
    throw new TarFormatError('TAR_TRUNCATED', `archive ends inside the ${what} at ${h.offset}`);
  return Buffer.from(src.take(padded).subarray(0, h.size));
}

/**
 * Yields the entries of an uncompressed tar stream with their bodies. Throws TarFormatError on anything GNU tar
 * would read differently or warn about; the consumer may stop early (the source is then left unread).
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEvent> {
  const src = new ByteSource(source[Symbol.asyncIterator]());
  let pax = new Map<string, string>();
  let longName: string | null = null;
  let longLink: string | null = null;
  let metaBytes = 0;
  for (;;) {
    const at = src.offset;
    if (!(await src.fill(BLOCK))) {
      const partial = (await src.fill(1)) ? ' (a partial block)' : '';
      throw new TarFormatError('TAR_TRUNCATED', `archive ends at ${at} without the end-of-archive marker${partial}`);
    }
    const block = src.take(BLOCK);
    if (isZero(block)) {
      if (!(await src.fill(BLOCK)) || !isZero(src.take(BLOCK))) {
        throw new TarFormatError(
          'TAR_LONE_ZERO_BLOCK',
          `a single zero block at offset ${at} is followed by more data: GNU tar stops reading there, so anything after it is hidden`,
        );
      }
      if (pax.size || longName !== null || longLink !== null)
        throw new TarFormatError('TAR_CORRUPT', `an extended header at the end of the archive has no entry`);
      let trailing = 0;
      while (await src.fill(1)) {
        const chunk = await src.some(64 * 1024);
        trailing += chunk.length;
        if (!isZero(chunk) || trailing > MAX_TRAILING_ZEROS)
          throw new TarFormatError(
            'TAR_TRAILING_DATA',
            `data after the end-of-archive marker at offset ${at} (GNU tar ignores it, so it is hidden)`,
          );
      }
      yield { kind: 'end', trailingBytes: trailing };
      return;
    }
    const h = decodeHeader(block, at);
    if (h.typeflag === 'x' || h.typeflag === 'g' || h.typeflag === 'L' || h.typeflag === 'K') {
      metaBytes += h.size;
      if (metaBytes > MAX_META_BYTES)
        throw new TarFormatError('TAR_CORRUPT', `more than 1 MiB of extended headers before one entry at ${at}`);
      if (h.typeflag === 'g')
        throw new TarFormatError(
          'PAX_GLOBAL',
          `global pax header at offset ${at}: it would change how every later entry is read`,
        );
      const body = await readMeta(src, h, 'extended header');
      if (h.typeflag === 'x') for (const [k, v] of parsePax(body, at)) pax.set(k, v);
      else if (h.typeflag === 'L') longName = cString(body);
      else longLink = cString(body);
      continue;
    }
    const paxSize = pax.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : h.size;
    if (!Number.isSafeInteger(size) || size < 0)
      throw new TarFormatError('TAR_CORRUPT', `invalid size ${paxSize} for the entry at ${at}`);
    const header: TarHeader = {
      ...h,
      path: pax.get('path') ?? longName ?? h.path,
      linkpath: pax.get('linkpath') ?? longLink ?? h.linkpath,
      size,
      sparse: [...pax.keys()].some((k) => k.startsWith('GNU.sparse.')),
    };
    pax = new Map();
    longName = longLink = null;
    metaBytes = 0;
    // Only regular files carry a body here; readers disagree on whether a link or directory size is skipped.
    if (size > 0 && header.type !== 'File' && header.type !== 'ContiguousFile')
      throw new TarFormatError(
        'TAR_CORRUPT',
        `${header.type} entry ${header.path} at offset ${at} declares a ${size}-byte body`,
      );
    if (header.type === 'File' && header.typeflag === '\0' && header.path.endsWith('/'))
      throw new TarFormatError('TAR_CORRUPT', `old-style entry ${header.path} is ambiguous (file or directory?)`);
    yield { kind: 'entry', header };
    let left = size;
    while (left > 0) {
      const chunk = await src.some(Math.min(left, 256 * 1024));
      if (chunk.length === 0)
        throw new TarFormatError('TAR_TRUNCATED', `archive ends inside ${header.path} (${left} bytes missing)`);
      left -= chunk.length;
      yield { kind: 'data', chunk };
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad && !(await src.fill(pad)))
      throw new TarFormatError('TAR_TRUNCATED', `archive ends inside the padding of ${header.path}`);
    src.take(pad);
    yield { kind: 'entry-end' };
  }
}
