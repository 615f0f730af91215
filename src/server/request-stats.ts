/** Per-second buckets over the last minute: the live request rate, error rate and mean latency health reports. */
export class RequestStats {
  private readonly seconds = new Float64Array(60).fill(-1);
  private readonly counts = new Float64Array(60);
  private readonly errors = new Float64Array(60);
  private readonly totalMs = new Float64Array(60);

  constructor(private readonly clock: () => number) {}

  record(statusCode: number, ms: number): void {
    const sec = Math.floor(this.clock() / 1000);
    const i = sec % 60;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.counts[i] = 0;
      this.errors[i] = 0;
      this.totalMs[i] = 0;
    }
    this.counts[i]! += 1;
    if (statusCode >= 500) this.errors[i]! += 1;
    this.totalMs[i]! += ms;
  }

  /** Totals over the 60 seconds up to now. */
  lastMinute(): { requests: number; errors: number; errorRate: number; averageMs: number | null } {
    const now = Math.floor(this.clock() / 1000);
    let requests = 0;
    let errors = 0;
    let ms = 0;
    for (let i = 0; i < 60; i++) {
      if (this.seconds[i]! > now - 60) {
        requests += this.counts[i]!;
        errors += this.errors[i]!;
        ms += this.totalMs[i]!;
      }
    }
    return {
      requests,
      errors,
      errorRate: requests ? errors / requests : 0,
      averageMs: requests ? ms / requests : null,
    };
  }
}
