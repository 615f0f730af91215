/**
 * The packets a controller exchanges with a host's ssh master once its control socket is in proxy mode (pure).
 *
 * Facts from OpenSSH (PROTOCOL.mux §9 "Requesting proxy mode"; channels.c channel_proxy_downstream and
 * channel_proxy_upstream; RFC 4254 for the messages): after the master's MUX_S_PROXY reply, each message either way is
 * a uint32 length, then a byte 0 (no padding, no MAC: the socket is local), the SSH message type and its fields. The
 * master forwards what we send to the host unchanged except CHANNEL_OPEN, whose sender channel it replaces with one
 * of its own (and maps back on the way in): so we name our channels as we like, and address the host's by the
 * sender channel of its OPEN_CONFIRMATION, as any SSH client does.
 *
 * Hand-written: no npm library speaks the downstream side of a mux proxy (ssh2 implements the whole SSH transport,
 * key exchange and encryption included, and has no way to ride on an existing master connection).
 */
import { SlipwayError } from '../errors.js';

export const MSG = {
  CHANNEL_OPEN: 90,
  CHANNEL_OPEN_CONFIRMATION: 91,
  CHANNEL_OPEN_FAILURE: 92,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
  CHANNEL_SUCCESS: 99,
  CHANNEL_FAILURE: 100,
} as const;

/** The largest message accepted from the master: OpenSSH's own PACKET_MAX_SIZE (256 KiB). */
const MAX_PACKET = 256 * 1024;

/** A message from the master, decoded as far as a session channel needs. */
export type ProxyMessage =
  | { kind: 'open-confirmation'; channel: number; peer: number; window: number; maxPacket: number }
  | { kind: 'open-failure'; channel: number; reason: number; description: string }
  | { kind: 'window-adjust'; channel: number; bytes: number }
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'extended-data'; channel: number; dataType: number; data: Buffer }
  | { kind: 'eof'; channel: number }
  | { kind: 'close'; channel: number }
  | { kind: 'success'; channel: number }
  | { kind: 'failure'; channel: number }
  | {
      kind: 'request';
      channel: number;
      name: string;
      wantReply: boolean;
      exitStatus?: number;
      exitSignal?: string;
    }
  | { kind: 'other'; type: number };

type Field = number | boolean | string | Buffer;

/** One message: its fields as uint32 (number), boolean (byte) or string (uint32 length + bytes). */
function frame(type: number, ...fields: Field[]): Buffer {
  const parts = fields.map((f) => {
    if (typeof f === 'number') {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(f >>> 0);
      return b;
    }
    if (typeof f === 'boolean') return Buffer.from([f ? 1 : 0]);
    const body = typeof f === 'string' ? Buffer.from(f, 'utf8') : f;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
  });
  const size = parts.reduce((n, p) => n + p.length, 2);
  const head = Buffer.alloc(6);
  head.writeUInt32BE(size, 0);
  head[4] = 0; // padding length
  head[5] = type;
  return Buffer.concat([head, ...parts]);
}

/** CHANNEL_OPEN "session" with our channel number, receive window and largest packet. */
export function encodeOpenSession(channel: number, window: number, maxPacket: number): Buffer {
  return frame(MSG.CHANNEL_OPEN, 'session', channel, window, maxPacket);
}

/** CHANNEL_REQUEST "exec" (the login shell runs `command`), with a reply asked for. */
export function encodeExec(peer: number, command: string): Buffer {
  return frame(MSG.CHANNEL_REQUEST, peer, 'exec', true, command);
}

export function encodeData(peer: number, data: Buffer): Buffer {
  return frame(MSG.CHANNEL_DATA, peer, data);
}

export function encodeWindowAdjust(peer: number, bytes: number): Buffer {
  return frame(MSG.CHANNEL_WINDOW_ADJUST, peer, bytes);
}

export function encodeEof(peer: number): Buffer {
  return frame(MSG.CHANNEL_EOF, peer);
}

export function encodeClose(peer: number): Buffer {
  return frame(MSG.CHANNEL_CLOSE, peer);
}

/** The answer to a channel request we do not serve (a host's keepalive@openssh.com, say). */
export function encodeFailure(peer: number): Buffer {
  return frame(MSG.CHANNEL_FAILURE, peer);
}

function malformed(what: string): SlipwayError {
  return new SlipwayError('E_SSH', `the ssh master sent a malformed ${what} message`);
}

/** Reads a message's fields in order; any read past its end is a malformed message. */
class Fields {
  private at = 0;
  constructor(
    private readonly b: Buffer,
    private readonly what: string,
  ) {}
  u32(): number {
    if (this.at + 4 > this.b.length) throw malformed(this.what);
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bool(): boolean {
    if (this.at + 1 > this.b.length) throw malformed(this.what);
    return this.b[this.at++] !== 0;
  }
  bytes(): Buffer {
    const n = this.u32();
    if (this.at + n > this.b.length) throw malformed(this.what);
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  string(): string {
    return this.bytes().toString('utf8');
  }
}

/** Decodes one message's type and fields (pure). */
export function decodeMessage(type: number, body: Buffer): ProxyMessage {
  const f = new Fields(body, `type ${type}`);
  switch (type) {
    case MSG.CHANNEL_OPEN_CONFIRMATION:
      return { kind: 'open-confirmation', channel: f.u32(), peer: f.u32(), window: f.u32(), maxPacket: f.u32() };
    case MSG.CHANNEL_OPEN_FAILURE:
      return { kind: 'open-failure', channel: f.u32(), reason: f.u32(), description: f.string() };
    case MSG.CHANNEL_WINDOW_ADJUST:
      return { kind: 'window-adjust', channel: f.u32(), bytes: f.u32() };
    case MSG.CHANNEL_DATA:
      return { kind: 'data', channel: f.u32(), data: f.bytes() };
    case MSG.CHANNEL_EXTENDED_DATA:
      return { kind: 'extended-data', channel: f.u32(), dataType: f.u32(), data: f.bytes() };
    case MSG.CHANNEL_EOF:
      return { kind: 'eof', channel: f.u32() };
    case MSG.CHANNEL_CLOSE:
      return { kind: 'close', channel: f.u32() };
    case MSG.CHANNEL_SUCCESS:
      return { kind: 'success', channel: f.u32() };
    case MSG.CHANNEL_FAILURE:
      return { kind: 'failure', channel: f.u32() };
    case MSG.CHANNEL_REQUEST: {
      const channel = f.u32();
      const name = f.string();
      const wantReply = f.bool();
      if (name === 'exit-status') return { kind: 'request', channel, name, wantReply, exitStatus: f.u32() };
      if (name === 'exit-signal') return { kind: 'request', channel, name, wantReply, exitSignal: f.string() };
      return { kind: 'request', channel, name, wantReply };
    }
    default:
      return { kind: 'other', type };
  }
}

/** Splits the bytes from the master into messages, across reads (the socket's edge feeds it). */
export class ProxyReader {
  private buf: Buffer = Buffer.alloc(0);

  /** The messages completed by `chunk`; throws E_SSH on a message that breaks the framing. */
  push(chunk: Buffer): ProxyMessage[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: ProxyMessage[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len < 2 || len > MAX_PACKET) throw malformed(`(length ${len})`);
      if (this.buf.length < 4 + len) break;
      if (this.buf[4] !== 0) throw malformed('(padded)');
      out.push(decodeMessage(this.buf[5]!, this.buf.subarray(6, 4 + len)));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}
