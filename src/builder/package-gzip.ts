import { Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';

/** The gzip OS byte we always write (3 = Unix, RFC 1952 §2.3.1), so the bytes do not depend on the build host. */
export const GZIP_OS_UNIX = 3;

/**
 * Node's gzip writes no file name and mtime 0 (RFC 1952 header `1f 8b 08 00 00000000 xfl os`), but the OS byte comes
 * from the zlib build (3 on Linux, 10 on Windows, 19 on newer macOS). This transform pins it on the first chunk.
 */
class PinGzipHeader extends Transform {
  private seen = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.seen < 10) {
      // zlib emits the 10-byte header in its first output chunk; check rather than assume.
      if (
        this.seen === 0 &&
        (chunk.length < 10 || chunk[0] !== 0x1f || chunk[1] !== 0x8b || chunk[3] !== 0 || chunk.readUInt32LE(4) !== 0)
      ) {
        cb(new Error('unexpected gzip header from zlib'));
        return;
      }
      if (this.seen === 0) chunk[9] = GZIP_OS_UNIX;
    }
    this.seen += chunk.length;
    cb(null, chunk);
  }
}

/** Streams of a deterministic gzip: zlib gzip at `level` followed by the header pin. */
export function createDeterministicGzip(level: number): [Transform, Transform] {
  return [createGzip({ level, memLevel: 9 }), new PinGzipHeader()];
}
