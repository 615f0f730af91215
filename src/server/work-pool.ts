/** Thrown by WorkPool.run when every slot is busy and the queue is full. */
export class PoolBusyError extends Error {
  constructor() {
    super('work pool busy');
    this.name = 'PoolBusyError';
  }
}

/**
 * At most `concurrency` tasks at once, at most `queueMax` waiting; anything beyond is refused at once instead of
 * queueing without bound. Hand-written because p-limit and friends only queue: they never refuse, and refusing
 * quickly is the point (a flood of password checks must not delay the requests behind it).
 */
export class WorkPool {
  private running = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueMax: number,
  ) {}

  /** Runs `task` when a slot is free; throws PoolBusyError without running it when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueMax) throw new PoolBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), else free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Tasks running and waiting (for metrics and tests). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
