/**
 * Uploads the archive to a host through the ssh connection (`cat > file.part` fed from the local file), skipped
 * when the host already has it with the right sha256, resumed from what a cut connection left in `file.part`
 * (a part shorter than the archive is kept as it is; a whole one is checked against the digest, and one that does
 * not match is discarded and the upload starts over once).
 * With `then` (the install), the write, the digest check and the install are one remote script: two round trips
 * per host in all (state, then upload + install), one when the archive is already there.
 */
import { stat } from 'node:fs/promises';
import { SlipwayError } from '../errors.js';
import { SCRIPTS } from './remote-scripts.js';
import type { RemoteResult, RunOptions } from './ssh.js';

/** What upload needs of a connection (an SshSession, or an SshTarget's, which sends its journal lines first). */
export interface RemoteRunner {
  label: string;
  logFile: string;
  script(script: string, args: readonly string[], opts: RunOptions): Promise<RemoteResult>;
  check(r: RemoteResult, what: string, timeoutMs?: number): RemoteResult;
}

export interface UploadResult {
  skipped: boolean;
  /** Bytes sent (the archive from `resumedFrom` on). */
  bytes: number;
  resumedFrom: number;
}

/** The install run after the upload, in the same script: SCRIPTS.install's arguments. */
export interface UploadThen {
  args: string[];
  what: string;
  /**
   * The remote file's state when the caller read it already under the host's lock, with no command there since
   * (SshTarget.open): the `uploadState` round trip is skipped.
   */
  state?: UploadState;
}

/** What the `uploadState` script prints: the remote file's sha256 ("none": absent) and the size of its part. */
export interface UploadState {
  sum: string;
  part: number;
}

/** Parses `uploadState`'s output (pure). */
export function parseUploadState(text: string): UploadState {
  const [sum, part] = text.trim().split(' ');
  return { sum: sum ?? 'none', part: Number(part) || 0 };
}

export function uploadFile(
  session: RemoteRunner,
  localFile: string,
  remoteFile: string,
  sha256: string,
  timeoutMs: number,
): Promise<UploadResult>;
export function uploadFile(
  session: RemoteRunner,
  localFile: string,
  remoteFile: string,
  sha256: string,
  timeoutMs: number,
  then: UploadThen,
): Promise<UploadResult & { then: RemoteResult }>;
export async function uploadFile(
  session: RemoteRunner,
  localFile: string,
  remoteFile: string,
  sha256: string,
  timeoutMs: number,
  then?: UploadThen,
): Promise<UploadResult & { then?: RemoteResult }> {
  const size = (await stat(localFile)).size;
  const { sum: remoteSum, part } =
    then?.state ??
    parseUploadState(
      session
        .check(await session.script(SCRIPTS.uploadState, [remoteFile], { timeoutMs }), 'read the upload state')
        .stdout.toString('utf8'),
    );
  if (remoteSum === sha256) {
    if (!then) return { skipped: true, bytes: 0, resumedFrom: 0 };
    const r = session.check(await session.script(SCRIPTS.install, then.args, { timeoutMs }), then.what, timeoutMs);
    return { skipped: true, bytes: 0, resumedFrom: 0, then: r };
  }
  let offset = part > 0 && part <= size ? part : 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const mode = offset > 0 ? 'append' : 'new';
    const opts = { timeoutMs, stdinFile: { file: localFile, offset } };
    if (then) {
      const r = await session.script(SCRIPTS.uploadInstall, [remoteFile, mode, String(size), ...then.args], opts);
      if (r.code !== 7) {
        session.check(r, `upload ${remoteFile} and ${then.what}`, timeoutMs);
        return { skipped: false, bytes: size - offset, resumedFrom: offset, then: r };
      }
    } else {
      session.check(
        await session.script(SCRIPTS.uploadWrite, [remoteFile, mode], opts),
        `upload ${remoteFile}`,
        timeoutMs,
      );
      const commit = await session.script(SCRIPTS.uploadCommit, [remoteFile, sha256], { timeoutMs });
      if (commit.code === 0) return { skipped: false, bytes: size - offset, resumedFrom: offset };
      if (commit.code !== 7) session.check(commit, `check the uploaded ${remoteFile}`);
    }
    if (offset === 0) break;
    offset = 0; // the part was not a prefix of this archive: start over
  }
  throw new SlipwayError('E_DEPLOY', `${session.label}: the uploaded archive does not match sha256 ${sha256}`, {
    hint: `The connection or the host's disk altered it. See ${session.logFile}.`,
  });
}
