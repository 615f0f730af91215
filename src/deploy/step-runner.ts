import { SlipwayError } from '../errors.js';
import type { RunJournal } from './journal.js';
import type { DeployEvent, DeployStep } from './types.js';

export interface StepOutcome<T> {
  value: T;
  message?: string;
  data?: Record<string, unknown>;
}

export interface StepRunner {
  /** Journals `begin`, runs `fn`, journals `ok` (or `failed` with the reason) and emits progress for both. */
  run<T>(step: DeployStep, action: string, fn: () => Promise<StepOutcome<T>>): Promise<T>;
  skip(step: DeployStep, reason: string): Promise<void>;
  info(step: DeployStep, message: string, data?: Record<string, unknown>): Promise<void>;
}

/** Binds the journal, the release and the progress listener for one run. */
export function makeStepRunner(opts: {
  journal: RunJournal;
  release: string;
  onProgress?: ((e: DeployEvent) => void) | undefined;
  delayMs?: number | undefined;
}): StepRunner {
  const emit = (e: DeployEvent) => opts.onProgress?.(e);
  const pause = async () => {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
  };
  return {
    async run(step, action, fn) {
      await opts.journal.write({ step, status: 'begin', release: opts.release, message: action });
      emit({ step, status: 'begin', message: action });
      await pause();
      const t0 = performance.now();
      try {
        const out = await fn();
        const ms = Math.round(performance.now() - t0);
        await opts.journal.write({
          step,
          status: 'ok',
          release: opts.release,
          ...(out.message ? { message: out.message } : {}),
          data: { ms, ...out.data },
        });
        emit({ step, status: 'ok', ms, ...(out.message ? { message: out.message } : {}) });
        await pause();
        return out.value;
      } catch (e) {
        const ms = Math.round(performance.now() - t0);
        const message = e instanceof SlipwayError ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e);
        await opts.journal.write({ step, status: 'failed', release: opts.release, message, data: { ms } });
        emit({ step, status: 'failed', ms, message });
        throw e;
      }
    },
    async skip(step, reason) {
      await opts.journal.write({ step, status: 'skipped', release: opts.release, message: reason });
      emit({ step, status: 'skipped', message: reason });
    },
    async info(step, message, data) {
      await opts.journal.write({ step, status: 'info', release: opts.release, message, ...(data ? { data } : {}) });
      emit({ step, status: 'info', message });
    },
  };
}
