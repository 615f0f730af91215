import { SlipwayError } from '../errors.js';
import type { RunJournal } from './journal.js';
import type { DeployEvent, DeployStep } from './types.js';

export interface StepOutcome<T> {
  value: T;
  message?: string;
  data?: Record<string, unknown>;
}

export interface StepExtras {
  /** Journaled with `begin` (e.g. the changesets a migration is about to run). */
  beginData?: Record<string, unknown>;
  /** Journaled with `failed`: what the step verifiably did before it failed. */
  failData?: () => Promise<Record<string, unknown>>;
}

export interface StepRunner {
  /** Journals `begin`, runs `fn`, journals `ok` (or `failed` with the reason) and emits progress for both. */
  run<T>(step: DeployStep, action: string, fn: () => Promise<StepOutcome<T>>, extras?: StepExtras): Promise<T>;
  skip(step: DeployStep, reason: string): Promise<void>;
  info(step: DeployStep, message: string, data?: Record<string, unknown>): Promise<void>;
  /** Journals and emits a `warning` (the CLI prints it on stderr even with --json). */
  warn(step: DeployStep, message: string, data?: Record<string, unknown>): Promise<void>;
  /** The run's abort signal (SIGINT/SIGTERM), for long operations inside a step (commands, health waits, SQL). */
  readonly signal?: AbortSignal | undefined;
}

/** The error a run stops with when its AbortSignal fires (SIGINT/SIGTERM from the CLI). */
export function interruptedError(signal: AbortSignal): SlipwayError {
  const by = typeof signal.reason === 'string' ? signal.reason : 'an abort';
  return new SlipwayError('E_INTERRUPTED', `interrupted by ${by}`, { details: [] });
}

/**
 * True when the run's signal has fired, after letting the event loop deliver a signal that already arrived (a
 * handler runs only in a later loop turn, so a SIGINT sent just before the last step ended is not missed).
 */
export async function signalled(signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return false;
  for (let i = 0; i < 2 && !signal.aborted; i++) await new Promise((r) => setImmediate(r));
  return signal.aborted;
}

/** Binds the journal, the release and the progress listener for one run. */
export function makeStepRunner(opts: {
  journal: RunJournal;
  release: string;
  onProgress?: ((e: DeployEvent) => void) | undefined;
  delayMs?: number | undefined;
  /** Checked before each step starts: a fired signal stops the run between steps. */
  signal?: AbortSignal | undefined;
  /**
   * Set while putting a target back: a journal that cannot be written must not stop the undo; the failure is
   * passed here (and the caller reports it) instead of thrown.
   */
  onJournalError?: ((e: unknown) => void) | undefined;
}): StepRunner {
  const emit = (e: DeployEvent) => opts.onProgress?.(e);
  const pause = async () => {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
  };
  const write: RunJournal['write'] = async (e) => {
    try {
      await opts.journal.write(e);
    } catch (err) {
      if (!opts.onJournalError) throw err;
      opts.onJournalError(err);
    }
  };
  return {
    signal: opts.signal,
    async run(step, action, fn, extras = {}) {
      if (opts.signal?.aborted) throw interruptedError(opts.signal);
      await write({
        step,
        status: 'begin',
        release: opts.release,
        message: action,
        ...(extras.beginData ? { data: extras.beginData } : {}),
      });
      emit({ step, status: 'begin', message: action });
      await pause();
      const t0 = performance.now();
      let out: StepOutcome<Awaited<ReturnType<typeof fn>>['value']>;
      try {
        out = await fn();
      } catch (e) {
        const ms = Math.round(performance.now() - t0);
        const err = opts.signal?.aborted && !(e instanceof SlipwayError) ? interruptedError(opts.signal) : e;
        const message =
          err instanceof SlipwayError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
        const more = extras.failData ? await extras.failData().catch(() => ({})) : {};
        // The step's own failure is the cause to report: a journal that cannot record it (the same full disk,
        // say) is noted on it rather than put in its place.
        await write({ step, status: 'failed', release: opts.release, message, data: { ms, ...more } }).catch(
          (jerr: unknown) => {
            if (!(err instanceof SlipwayError)) throw jerr;
            err.details.push(`the journal could not record this step's failure: ${(jerr as Error).message}`);
          },
        );
        emit({ step, status: 'failed', ms, message });
        throw err;
      }
      const ms = Math.round(performance.now() - t0);
      await write({
        step,
        status: 'ok',
        release: opts.release,
        ...(out.message ? { message: out.message } : {}),
        data: { ms, ...out.data },
      });
      emit({ step, status: 'ok', ms, ...(out.message ? { message: out.message } : {}) });
      await pause();
      return out.value;
    },
    async skip(step, reason) {
      await write({ step, status: 'skipped', release: opts.release, message: reason });
      emit({ step, status: 'skipped', message: reason });
    },
    async info(step, message, data) {
      await write({ step, status: 'info', release: opts.release, message, ...(data ? { data } : {}) });
      emit({ step, status: 'info', message });
    },
    async warn(step, message, data) {
      await write({ step, status: 'warning', release: opts.release, message, ...(data ? { data } : {}) });
      emit({ step, status: 'warning', message });
    },
  };
}
