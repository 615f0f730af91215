// Forged audit lines: every value a client can bring into the audit log — an attempted user name (Basic, login form),
// the request path, its User-Agent, its X-Forwarded-For — carrying CR/LF, other C0/C1 controls, line separators or
// bidi controls. Each request stays one JSON line, for a reader that splits on \n and for one that splits on every
// Unicode line break (Python's str.splitlines), and the file holds no raw control a terminal would act on.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, readAudit, request, sendRaw, startTestServer, type TestServer } from './helpers.js';

const FORGED = '{"kind":"audit","time":"2026-03-01T12:00:00.000Z","user":"admin","method":"POST","outcome":200}';
// Every line break Python's str.splitlines honours.
// eslint-disable-next-line no-control-regex -- control characters are what this test looks for
const ANY_LINE_BREAK = /\r\n|[\n\v\f\r\x1c-\x1e\x85\u2028\u2029]/;
// Raw characters an audit line must never hold (the \n ending each line aside).
// eslint-disable-next-line no-control-regex -- control characters are what this test looks for
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A GET of /api/releases as the viewer, with extra header lines given as Latin-1 bytes. */
const rawGet = (headers: string) =>
  Buffer.from(
    `GET /api/releases HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
      `Authorization: ${basic('viewer').authorization}\r\n${headers}\r\n`,
    'latin1',
  );

describe('audit lines cannot be forged (server.trustProxy: true, so X-Forwarded-For reaches the audit IP)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ trustProxy: true });
  });
  afterAll(async () => s.close());

  it('AF 1: CR/LF, C1 controls, U+2028 and bidi controls in user names, paths, User-Agent and X-Forwarded-For', async () => {
    const statuses: number[] = [];
    // Attempted user names: Basic (any bytes once base64-decoded) and the login form.
    for (const name of [`x\r\n${FORGED}`, `x\u0085${FORGED}`, `x\u2028${FORGED}`, 'x\u001b[2J\u009b2J'])
      statuses.push((await request(s.url, '/api/releases', { headers: basic(name, 'wrong') })).status);
    statuses.push(
      (
        await request(s.url, '/api/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: s.url },
          body: JSON.stringify({ username: `x\n${FORGED}`, password: 'wrong' }),
        })
      ).status,
    );
    // The path of a protected route with percent-encoded line breaks (400 before authentication: http-limits.ts).
    statuses.push(
      (await request(s.url, `/api/releases/x%0d%0a${encodeURIComponent(FORGED)}/rollback`, { method: 'POST' })).status,
    );
    // Header bytes 0x80-0xFF arrive as Latin-1 characters: NEL (0x85), CSI (0x9b), the UTF-8 bytes of U+2028.
    const hostile = `\x85${FORGED}\x9b2J\xe2\x80\xa8`;
    statuses.push((await sendRaw(s.url, rawGet(`User-Agent: ua${hostile}\r\n`))).status);
    // X-Forwarded-For is split at commas: the client (the last entry) is a forged line without one.
    const forgedIp = `203.0.113.9\x85{"kind":"audit"}\x9b2J\xe2\x80\xa8`;
    statuses.push((await sendRaw(s.url, rawGet(`X-Forwarded-For: 10.1.1.1, ${forgedIp}\r\n`))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 400, 400, 200, 200]);

    const lines = await readAudit(s, (ls) => ls.length >= statuses.length);
    expect(lines).toHaveLength(statuses.length);
    expect(lines.map((l) => l.outcome)).toEqual(statuses);
    for (const l of lines) expect(l.kind).toBe('audit');
    // Nothing a client sent became a user, and the forged address comes back exactly as received.
    expect(lines.map((l) => l.user)).toEqual([null, null, null, null, null, null, 'viewer', 'viewer']);
    expect(lines.map((l) => l.route)).toContain('/api/releases/:id/rollback');
    expect(lines.at(-1)?.ip).toBe(forgedIp);

    const text = await readFile(s.auditFile, 'utf8');
    const fileLines = text.split('\n').slice(0, -1);
    expect(fileLines).toHaveLength(statuses.length);
    for (const line of fileLines) {
      expect(line.split(ANY_LINE_BREAK), line).toHaveLength(1);
      expect(line, line).not.toMatch(RAW_CONTROL);
    }
  });
});
