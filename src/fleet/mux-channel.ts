/**
 * Runs one remote command as a session channel on a host's ssh master, over its control socket in proxy mode
 * (ssh-mux.ts muxProxy; messages: mux-proxy-codec.ts): what an `ssh` mux client does, without starting one. Each
 * `ssh` client is ~13 M instructions of start-up (callgrind of `ssh -V`) plus a process the launcher forks
 * (spawn-off-thread.ts), and a host's deploy ran 5-6 of them.
 *
 * One socket per command: the master ties a proxy's channels to its socket, so closing the socket also closes the
 * channel (a timed-out or aborted command), and a master that dies shows as the socket closing before the channel
 * did (the connection was lost while the command ran). Stdin is streamed from a file in the host's window (the
 * channel's flow control: never more in flight than the host granted, and the file read no faster than the socket
 * drains); stdout and stderr are collected, and the window we granted renewed as they arrive.
 */
import { createReadStream } from 'node:fs';
import type net from 'node:net';
import {
  encodeClose,
  encodeData,
  encodeEof,
  encodeExec,
  encodeFailure,
  encodeOpenSession,
  encodeWindowAdjust,
  ProxyReader,
  type ProxyMessage,
} from './mux-proxy-codec.js';
import { muxProxy } from './ssh-mux.js';

/** Our receive window and largest packet: OpenSSH's own for sessions (CHAN_SES_WINDOW_DEFAULT, CHAN_SES_PACKET_DEFAULT). */
const WINDOW = 2 * 1024 * 1024;
const MAX_PACKET = 32 * 1024;
/** Our channel number: the socket carries one channel (the master maps it to one of its own). */
const CHANNEL = 0;

export interface ChannelResult {
  /** The exit status; 255 when the command ended without one (a signal, as ssh reports it); null when killed here. */
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** The socket closed while the command ran: the master (and its connection) went away; what it did is not known. */
  lost?: true;
  /**
   * The host refused the command before it started: it would not open a session channel ('session': sshd's
   * MaxSessions, say), or it opened one and refused the exec request ('exec': sshd could not fork the session, as on
   * a host out of processes). Either way nothing of the command ran there.
   */
  notStarted?: 'session' | 'exec';
}

/** The master could not take the command: none answers on the socket ('absent'), or it declined proxy mode. */
export interface ProxyUnavailable {
  unavailable: 'absent' | 'refused';
}

export interface MuxChild {
  result: Promise<ChannelResult | ProxyUnavailable>;
  /** Closes the channel (and its socket); the result comes at once, code null. */
  kill: () => void;
}

/** Runs `commandLine` (for the host's login shell, as ssh sends it) on the master at `socket`. */
export function execOverMaster(
  socket: string,
  commandLine: string,
  stdinFile?: { file: string; offset: number },
): MuxChild {
  let resolve!: (r: ChannelResult | ProxyUnavailable) => void;
  const result = new Promise<ChannelResult | ProxyUnavailable>((r) => (resolve = r));
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let conn: net.Socket | null = null;
  let peer = -1;
  let remoteWindow = 0;
  let remoteMax = MAX_PACKET;
  let granted = 0;
  let exitStatus: number | null = null;
  let closeSent = false;
  let needDrain = false;
  let done = false;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const wait = () => new Promise<void>((r) => (wake = r));

  const finish = (code: number | null, lost = false, notStarted?: 'session' | 'exec') => {
    if (done) return;
    done = true;
    poke();
    if (conn) {
      if (peer >= 0 && !closeSent && !conn.destroyed) conn.write(encodeClose(peer));
      closeSent = true;
      conn.removeAllListeners('data');
      conn.on('error', () => undefined);
      conn.destroySoon();
    }
    resolve({
      code,
      stdout: Buffer.concat(stdout),
      stderr: Buffer.concat(stderr),
      ...(lost ? { lost: true } : {}),
      ...(notStarted ? { notStarted } : {}),
    });
  };

  const send = (b: Buffer) => {
    if (conn && !done && !conn.destroyed && !conn.write(b)) needDrain = true;
  };

  const pump = async (file: string, offset: number) => {
    const src = createReadStream(file, { start: offset, highWaterMark: 64 * 1024 });
    try {
      for await (const chunk of src as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length;) {
          if (done) return;
          if (remoteWindow === 0 || needDrain) {
            await wait();
            continue;
          }
          const n = Math.min(chunk.length - at, remoteWindow, remoteMax);
          remoteWindow -= n;
          send(encodeData(peer, chunk.subarray(at, at + n)));
          at += n;
        }
      }
    } catch {
      // The file could not be read to its end: the command gets a short stdin, as from a pipe that broke, and its
      // exit status says what it made of that (an upload's digest check fails).
    } finally {
      src.destroy();
    }
    send(encodeEof(peer));
  };

  const grant = (n: number) => {
    granted += n;
    if (granted >= WINDOW / 2) {
      send(encodeWindowAdjust(peer, granted));
      granted = 0;
    }
  };

  const onMessage = (m: ProxyMessage) => {
    switch (m.kind) {
      case 'open-confirmation':
        peer = m.peer;
        remoteWindow = m.window;
        remoteMax = Math.max(1, Math.min(m.maxPacket, MAX_PACKET));
        send(encodeExec(peer, commandLine));
        if (stdinFile) void pump(stdinFile.file, stdinFile.offset);
        else send(encodeEof(peer)); // stdin is empty, as ssh's from /dev/null
        return;
      case 'open-failure':
        stderr.push(Buffer.from(`channel open failed: ${m.description}\n`));
        return finish(255, false, 'session');
      case 'failure':
        // The only request sent with want-reply is the exec: its refusal.
        stderr.push(Buffer.from('exec request failed: the host did not run the command\n'));
        return finish(255, false, 'exec');
      case 'window-adjust':
        remoteWindow += m.bytes;
        return poke();
      case 'data':
        stdout.push(m.data);
        return grant(m.data.length);
      case 'extended-data':
        stderr.push(m.data);
        return grant(m.data.length);
      case 'request':
        if (m.exitStatus !== undefined) exitStatus = m.exitStatus;
        if (m.exitSignal !== undefined)
          stderr.push(Buffer.from(`the remote command was ended by signal ${m.exitSignal}\n`));
        if (m.wantReply) send(encodeFailure(peer));
        return;
      case 'close':
        return finish(exitStatus ?? 255);
      default:
        return; // eof, success and anything else: nothing to do
    }
  };

  void muxProxy(socket).then((p) => {
    if (p === null || p === 'refused') {
      if (!done) {
        done = true;
        resolve({ unavailable: p === null ? 'absent' : 'refused' });
      }
      return;
    }
    conn = p.conn;
    if (done) {
      conn.destroy(); // killed while the master was being asked
      return;
    }
    const reader = new ProxyReader();
    const take = (chunk: Buffer) => {
      try {
        for (const m of reader.push(chunk)) {
          onMessage(m);
          if (done) return;
        }
      } catch {
        finish(255, true); // the stream broke its framing: nothing more from it can be trusted
      }
    };
    conn.on('data', take);
    conn.on('drain', () => {
      needDrain = false;
      poke();
    });
    conn.on('error', () => finish(255, true));
    conn.on('close', () => finish(255, true));
    if (p.rest.length) take(p.rest);
    send(encodeOpenSession(CHANNEL, WINDOW, MAX_PACKET));
    conn.resume();
  });

  return { result, kill: () => finish(null) };
}
