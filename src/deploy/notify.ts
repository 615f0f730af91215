import path from 'node:path';
import { runCommand } from './run-command.js';

export interface NotifyEvent {
  event: 'rollback' | 'emergency-rollback' | 'deploy-failed';
  root: string;
  from: string | null;
  to: string | null;
  reason: string;
  at: string;
}

/** Sends the event to the configured webhook (POST JSON) and/or command (env vars). Never throws; says what failed. */
export async function sendNotification(
  cfg: { webhook?: string | undefined; command?: string | undefined },
  e: NotifyEvent,
  opts: { logDir: string; timeoutMs: number },
): Promise<{ sent: string[]; errors: string[] }> {
  const sent: string[] = [];
  const errors: string[] = [];
  if (cfg.webhook) {
    try {
      const res = await fetch(cfg.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(e),
        signal: AbortSignal.timeout(Math.min(opts.timeoutMs, 10_000)),
      });
      if (res.ok) sent.push('webhook');
      else errors.push(`webhook answered HTTP ${res.status}`);
    } catch (err) {
      errors.push(`webhook failed: ${(err as Error).message}`);
    }
  }
  if (cfg.command) {
    const r = await runCommand({
      argv: ['sh', '-c', cfg.command],
      cwd: e.root,
      env: {
        SLIPWAY_EVENT: e.event,
        SLIPWAY_TARGET_ROOT: e.root,
        SLIPWAY_FROM_RELEASE: e.from ?? '',
        SLIPWAY_TO_RELEASE: e.to ?? '',
        SLIPWAY_REASON: e.reason,
      },
      timeoutMs: opts.timeoutMs,
      logFile: path.join(opts.logDir, 'notify.log'),
    });
    if (r.code === 0) sent.push('command');
    else errors.push(`notify command exited with ${r.code ?? r.signal}`);
  }
  return { sent, errors };
}
