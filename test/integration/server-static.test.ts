import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load.js';
import { createApp } from '../../src/server/app.js';
import {
  API_SECURITY_HEADERS,
  UI_CONTENT_SECURITY_POLICY,
  UI_SECURITY_HEADERS,
} from '../../src/server/security-headers.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

let dir: string;
let withUi: FastifyInstance;
let withoutUi: FastifyInstance;

beforeAll(async () => {
  dir = await makeTree({
    'slipway.config.yaml':
      'name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\n',
    'web/index.html': '<!doctype html><title>Slipway</title><script type="module" src="/assets/app.js"></script>\n',
    'web/assets/app.js': 'console.log("ui");\n',
    'web/.env': 'SECRET=1\n',
  });
  const { config } = await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} });
  withUi = await createApp({ config, staticDir: path.join(dir, 'web'), audit: path.join(dir, 'a.log') });
  withoutUi = await createApp({ config, staticDir: path.join(dir, 'missing'), audit: path.join(dir, 'b.log') });
});
afterAll(async () => {
  await withUi.close();
  await withoutUi.close();
  await removeTree(dir);
});

describe('web UI statics', () => {
  it('serves index.html at / with the strict CSP and the bundle from /assets', async () => {
    const r = await withUi.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    // The web UI keeps the full document set (the API's answers carry the OWASP REST subset).
    for (const [k, v] of Object.entries(UI_SECURITY_HEADERS)) expect(r.headers[k], k).toBe(v);
    for (const d of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"])
      expect(r.headers['content-security-policy']).toContain(d);
    expect(r.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(r.headers['x-frame-options']).toBe('DENY');
    const js = await withUi.inject({ url: '/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^application\/javascript|^text\/javascript/);
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    for (const [k, v] of Object.entries(UI_SECURITY_HEADERS)) expect(js.headers[k], k).toBe(v);
  });

  it('answers client-side routes with index.html for browsers, JSON 404 for API paths and dotfiles refused', async () => {
    const page = await withUi.inject({ url: '/releases', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Slipway</title>');
    for (const [k, v] of Object.entries(UI_SECURITY_HEADERS)) expect(page.headers[k], k).toBe(v);
    expect(page.headers['cache-control']).toBe('no-store');
    const api = await withUi.inject({ url: '/api/nope', headers: { accept: 'text/html' } });
    expect(api.statusCode).toBe(404);
    for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) expect(api.headers[k], k).toBe(v);
    expect(api.headers['referrer-policy']).toBeUndefined();
    expect(api.json()).toEqual({ error: { code: 'E_NOT_FOUND', message: 'no such route' } });
    const dot = await withUi.inject({ url: '/.env' });
    expect(dot.statusCode).toBe(403);
    expect(dot.json()).toEqual({ error: { code: 'E_FORBIDDEN', message: 'forbidden path' } });
    expect(dot.body).not.toContain('SECRET');
  });

  it('without dist/web, / returns a JSON note', async () => {
    const r = await withoutUi.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.json().message).toMatch(/web UI is not built/);
  });
});
