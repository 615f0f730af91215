import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeClose,
  encodeData,
  encodeEof,
  encodeExec,
  encodeFailure,
  encodeOpenSession,
  encodeWindowAdjust,
  MSG,
  ProxyReader,
} from '../../../src/fleet/mux-proxy-codec.js';

const hex = (b: Buffer) => b.toString('hex');
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: string | Buffer) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
/** A message as the master frames it: uint32 length, padding 0, type, fields. */
const msg = (type: number, ...fields: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([0, type]), ...fields]);
  return Buffer.concat([u32(body.length), body]);
};

describe('mux proxy codec', () => {
  it('frames what we send as uint32 length, padding 0, type, fields (RFC 4254 layouts)', () => {
    expect(hex(encodeOpenSession(0, 2097152, 32768))).toBe(
      hex(msg(MSG.CHANNEL_OPEN, str('session'), u32(0), u32(2097152), u32(32768))),
    );
    expect(hex(encodeExec(7, "sh -c 'x'"))).toBe(
      hex(msg(MSG.CHANNEL_REQUEST, u32(7), str('exec'), Buffer.from([1]), str("sh -c 'x'"))),
    );
    expect(hex(encodeData(7, Buffer.from([0, 255])))).toBe(
      hex(msg(MSG.CHANNEL_DATA, u32(7), str(Buffer.from([0, 255])))),
    );
    expect(hex(encodeWindowAdjust(7, 1 << 20))).toBe(hex(msg(MSG.CHANNEL_WINDOW_ADJUST, u32(7), u32(1 << 20))));
    expect(hex(encodeEof(7))).toBe(hex(msg(MSG.CHANNEL_EOF, u32(7))));
    expect(hex(encodeClose(7))).toBe(hex(msg(MSG.CHANNEL_CLOSE, u32(7))));
    expect(hex(encodeFailure(7))).toBe(hex(msg(MSG.CHANNEL_FAILURE, u32(7))));
    // Multi-byte text is counted in bytes.
    expect(encodeExec(1, 'é').readUInt32BE(0)).toBe(2 + 4 + 4 + 4 + 1 + 4 + 2);
  });

  it('decodes the messages a session channel gets', () => {
    expect(
      decodeMessage(MSG.CHANNEL_OPEN_CONFIRMATION, Buffer.concat([u32(0), u32(5), u32(65536), u32(32768)])),
    ).toEqual({ kind: 'open-confirmation', channel: 0, peer: 5, window: 65536, maxPacket: 32768 });
    expect(decodeMessage(MSG.CHANNEL_OPEN_FAILURE, Buffer.concat([u32(0), u32(1), str('no'), str('')]))).toEqual({
      kind: 'open-failure',
      channel: 0,
      reason: 1,
      description: 'no',
    });
    expect(decodeMessage(MSG.CHANNEL_EXTENDED_DATA, Buffer.concat([u32(0), u32(1), str('err')]))).toMatchObject({
      kind: 'extended-data',
      dataType: 1,
      data: Buffer.from('err'),
    });
    expect(
      decodeMessage(MSG.CHANNEL_REQUEST, Buffer.concat([u32(0), str('exit-status'), Buffer.from([0]), u32(3)])),
    ).toEqual({ kind: 'request', channel: 0, name: 'exit-status', wantReply: false, exitStatus: 3 });
    expect(
      decodeMessage(
        MSG.CHANNEL_REQUEST,
        Buffer.concat([u32(0), str('exit-signal'), Buffer.from([0]), str('TERM'), Buffer.from([0]), str(''), str('')]),
      ),
    ).toEqual({ kind: 'request', channel: 0, name: 'exit-signal', wantReply: false, exitSignal: 'TERM' });
    expect(
      decodeMessage(MSG.CHANNEL_REQUEST, Buffer.concat([u32(0), str('keepalive@openssh.com'), Buffer.from([1])])),
    ).toEqual({ kind: 'request', channel: 0, name: 'keepalive@openssh.com', wantReply: true });
    expect(decodeMessage(MSG.CHANNEL_CLOSE, u32(0))).toEqual({ kind: 'close', channel: 0 });
    expect(decodeMessage(80, Buffer.alloc(0))).toEqual({ kind: 'other', type: 80 });
  });

  it('splits a stream into messages whatever the reads, and refuses a broken one', () => {
    const stream = Buffer.concat([
      msg(MSG.CHANNEL_WINDOW_ADJUST, u32(0), u32(100)),
      msg(MSG.CHANNEL_DATA, u32(0), str('hello')),
      msg(MSG.CHANNEL_EOF, u32(0)),
    ]);
    for (const step of [1, 3, 7, stream.length]) {
      const r = new ProxyReader();
      const got = [];
      for (let i = 0; i < stream.length; i += step) got.push(...r.push(stream.subarray(i, i + step)));
      expect(got.map((m) => m.kind)).toEqual(['window-adjust', 'data', 'eof']);
      expect(got[1]).toMatchObject({ data: Buffer.from('hello') });
    }
    expect(() => new ProxyReader().push(u32(1 << 30))).toThrow(/malformed/);
    expect(() => new ProxyReader().push(Buffer.concat([u32(6), Buffer.from([4, 94]), u32(0)]))).toThrow(/malformed/);
    // A string longer than its message.
    expect(() => new ProxyReader().push(msg(MSG.CHANNEL_DATA, u32(0), u32(99), Buffer.from('ab')))).toThrow(
      /malformed/,
    );
  });
});
