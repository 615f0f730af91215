/**
 * Uploads the archive to a host through the ssh connection (`cat > file.part` fed from the local file), skipped
 * when the host already has it with the right sha256, resumed from what a cut connection left in `file.part`
 * (checked against the digest; a part that does not match is discarded and the upload starts over once).
 */
import { stat } from 'node:fs/promises';
import { SlipwayError } from '../errors.js';
import { SCRIPTS } from './remote-scripts.js';
import type { SshSession } from './ssh.js';

export interface UploadResult {
  skipped: boolean;
  bytes: number;
  resumedFrom: number;
}

export async function uploadFile(
  session: SshSession,
  localFile: string,
  remoteFile: string,
  sha256: string,
  timeoutMs: number,
): Promise<UploadResult> {
  const size = (await stat(localFile)).size;
  const state = session.check(
    await session.script(SCRIPTS.uploadState, [remoteFile], { timeoutMs }),
    'read the upload state',
  );
  const [remoteSum, partText] = state.stdout.toString('utf8').trim().split(' ');
  if (remoteSum === sha256) return { skipped: true, bytes: 0, resumedFrom: 0 };
  const part = Number(partText) || 0;
  let offset = part > 0 && part <= size ? part : 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const write = await session.script(SCRIPTS.uploadWrite, [remoteFile, offset > 0 ? 'append' : 'new'], {
      timeoutMs,
      stdinFile: { file: localFile, offset },
    });
    session.check(write, `upload ${remoteFile}`, timeoutMs);
    const commit = await session.script(SCRIPTS.uploadCommit, [remoteFile, sha256], { timeoutMs });
    if (commit.code === 0) return { skipped: false, bytes: size - offset, resumedFrom: offset };
    if (commit.code !== 7) session.check(commit, `check the uploaded ${remoteFile}`);
    if (offset === 0) break;
    offset = 0; // the part was not a prefix of this archive: start over
  }
  throw new SlipwayError('E_DEPLOY', `${session.label}: the uploaded archive does not match sha256 ${sha256}`, {
    hint: `The connection or the host's disk altered it. See ${session.logFile}.`,
  });
}
