import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilent } from 'pino';

type Level = Exclude<LevelWithSilent, 'silent'>;
type Enabled = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

/**
 * Fastify's per-request logger (`req.log`), made only when a line is written: Fastify makes a pino child (request id
 * bound) for every request, and at the server's level (warn) nearly every request writes nothing, so that child was
 * work for no line. The same lines come out as before: a level the server logger would write makes the real child
 * (with the same bindings and options) and writes through it.
 */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChild(logger, bindings, opts) as unknown as FastifyBaseLogger;
}

class LazyChild {
  private made: Enabled | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  private real(): Enabled {
    return (this.made ??= this.parent.child(this.bindings, this.opts) as Enabled);
  }

  private enabled(level: Level): boolean {
    // A child with its own level (a route's logLevel) decides for itself; otherwise the parent's level is the child's.
    const target = this.made ?? (this.opts.level === undefined ? (this.parent as Enabled) : this.real());
    return target.isLevelEnabled ? target.isLevelEnabled(level) : true;
  }

  get level(): string {
    return this.made?.level ?? this.opts.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  // Prototype methods, not per-instance closures: one of these objects is made for every request.
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  private write(level: Level, args: unknown[]): void {
    if (!this.enabled(level)) return;
    const real = this.real();
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }
}
