/**
 * Control requests to a host's ssh master connection over its control socket, in OpenSSH's multiplexing protocol
 * (PROTOCOL.mux; mux.c): what `ssh -O check` and `ssh -O exit` send. Spoken here, not through those commands,
 * because each is an ssh process per host to send 20 bytes: ~13 M instructions of ssh start-up (callgrind of
 * `ssh -V`: OpenSSL's RNG set-up and the relocations are most of it) plus a fork of the controller (~5 ms of its CPU).
 * Only requests that carry no file descriptors: these two, and MUX_C_PROXY, which turns the socket into a channel
 * to the host (mux-channel.ts).
 */
import net from 'node:net';

const MUX_MSG_HELLO = 0x00000001;
const MUX_C_ALIVE_CHECK = 0x10000004;
const MUX_C_TERMINATE = 0x10000005;
const MUX_S_OK = 0x80000001;
const MUX_S_ALIVE = 0x80000005;
const MUX_C_PROXY = 0x1000000f;
const MUX_S_PROXY = 0x8000000f;
/** The protocol version every OpenSSH since 5.x speaks (SSHMUX_VER). */
const MUX_VERSION = 4;

/** One message: a uint32 length, then the payload (a uint32 type, then its fields). */
function packet(...words: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * words.length);
  b.writeUInt32BE(4 * words.length, 0);
  words.forEach((w, i) => b.writeUInt32BE(w, 4 + 4 * i));
  return b;
}

/**
 * Sends `type` (with request id 1) after the HELLO exchange; resolves with the reply's type, or `closed` when the
 * master closed the socket without one (a terminating master may exit before its reply is sent — mux.c says so),
 * or null when no master answered: no socket, refused, another protocol version, or nothing within `timeoutMs`.
 */
function request(socket: string, type: number, timeoutMs: number): Promise<number | 'closed' | null> {
  return requestReply(socket, type, timeoutMs).then((r) => (r === null || r === 'closed' ? r : r.type));
}

/** As `request`, with the reply's words after its type (the request id, then the reply's own fields). */
function requestReply(
  socket: string,
  type: number,
  timeoutMs: number,
  keepOn?: number,
): Promise<{ type: number; words: number[]; conn?: net.Socket; rest?: Buffer } | 'closed' | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let helloSeen = false;
    let done = false;
    const finish = (v: { type: number; words: number[] } | 'closed' | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (v !== null && v !== 'closed' && v.type === keepOn) {
        // The socket goes on in another protocol: handed over paused, with what came after the reply.
        c.pause();
        c.removeAllListeners();
        return resolve({ ...v, conn: c, rest: buf });
      }
      c.destroy();
      resolve(v);
    };
    const c = net.createConnection({ path: socket });
    const timer = setTimeout(() => finish(null), timeoutMs);
    c.on('error', () => finish(null));
    c.on('close', () => finish(helloSeen ? 'closed' : null));
    c.on('connect', () => c.write(packet(MUX_MSG_HELLO, MUX_VERSION)));
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 8) {
        const len = buf.readUInt32BE(0);
        if (len < 4 || len > 65536) return finish(null);
        if (buf.length < 4 + len) return;
        const msgType = buf.readUInt32BE(4);
        const first = len >= 8 ? buf.readUInt32BE(8) : -1;
        const words: number[] = [];
        for (let o = 8; o + 4 <= 4 + len; o += 4) words.push(buf.readUInt32BE(o));
        buf = buf.subarray(4 + len);
        if (!helloSeen) {
          if (msgType !== MUX_MSG_HELLO || len < 8 || first !== MUX_VERSION) return finish(null);
          helloSeen = true;
          c.write(packet(type, 1));
        } else return finish({ type: msgType, words });
      }
    });
  });
}

/** Whether a master answers on `socket` (`ssh -O check`). */
export async function muxAlive(socket: string, timeoutMs = 5000): Promise<boolean> {
  return (await request(socket, MUX_C_ALIVE_CHECK, timeoutMs)) === MUX_S_ALIVE;
}

/**
 * The pid of the master answering on `socket` (its MUX_S_ALIVE reply carries it: request id, then pid), or null
 * when none answers.
 */
export async function muxMasterPid(socket: string, timeoutMs = 5000): Promise<number | null> {
  const r = await requestReply(socket, MUX_C_ALIVE_CHECK, timeoutMs);
  return r !== null && r !== 'closed' && r.type === MUX_S_ALIVE && r.words.length >= 2 ? r.words[1]! : null;
}

/**
 * Asks the master on `socket` to end its connection (`ssh -O exit`): true when it accepted (or closed the socket
 * as it went), false when no master answered or it refused.
 */
export async function muxTerminate(socket: string, timeoutMs = 5000): Promise<boolean> {
  const r = await request(socket, MUX_C_TERMINATE, timeoutMs);
  return r === MUX_S_OK || r === 'closed';
}

/**
 * Puts a new connection to the master on `socket` into proxy mode (MUX_C_PROXY, `ssh -O proxy`, OpenSSH 7.4+): the
 * socket, paused, then speaks SSH connection-protocol messages (mux-proxy-codec.ts), with any bytes already read.
 * 'refused': a master answered and declined (an older one, or ControlMaster=ask that was told no); null: none
 * answered (no socket, refused, nothing within `timeoutMs`).
 */
export async function muxProxy(
  socket: string,
  timeoutMs = 5000,
): Promise<{ conn: net.Socket; rest: Buffer } | 'refused' | null> {
  const r = await requestReply(socket, MUX_C_PROXY, timeoutMs, MUX_S_PROXY);
  if (r === null || r === 'closed') return null;
  return r.conn && r.rest ? { conn: r.conn, rest: r.rest } : 'refused';
}
