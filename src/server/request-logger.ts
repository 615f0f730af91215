import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Bindings, type ChildLoggerOptions, type LevelWithSilent, type Logger } from 'pino';

type Level = Exclude<LevelWithSilent, 'silent'>;
type Enabled = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

/**
 * The server's logger as Fastify's `loggerInstance`: `real` (a pino logger) behind children made only when a line is
 * written. Fastify makes a child (request id bound) for every request, and at the server's level (warn) nearly every
 * request writes nothing, so a pino child per request was work for no line. The same lines come out as before: a level
 * the real logger would write makes the real child (with the same bindings and options) and writes through it.
 *
 * Given as the instance (Fastify calls its `child` with its default child factory), not as a `childLoggerFactory`:
 * with a factory of its own Fastify checks every request's child for the seven logger methods (fourteen keyed lookups
 * and two arrays a request).
 */
export function lazyLogger(real: Logger): FastifyBaseLogger {
  const root = new LazyLogger(real, null, {});
  // Fastify merges its default serializers under the instance's own (pino keeps them under this symbol): so a request
  // line's `req` is the secret-safe one of the real logger, never Fastify's (which writes the URL as it came).
  const sym = pino.symbols.serializersSym;
  Object.defineProperty(root, sym, { value: (real as unknown as Record<symbol, unknown>)[sym] });
  return root as unknown as FastifyBaseLogger;
}

/** A logger whose real pino child (of `parent`, with `bindings` and `opts`) is made when it first writes a line. */
class LazyLogger {
  private made: Enabled | undefined;
  // The root's answers of enabled(level); null in every child.
  private answers: Partial<Record<Level, boolean>> | null;

  constructor(
    private readonly parent: Logger | LazyLogger,
    private readonly bindings: Bindings | null,
    private readonly opts: ChildLoggerOptions,
  ) {
    this.answers = bindings === null && !(parent instanceof LazyLogger) ? {} : null;
  }

  private real(): Enabled {
    if (this.made) return this.made;
    const parent = this.parent instanceof LazyLogger ? this.parent.real() : this.parent;
    this.made = (this.bindings === null ? parent : parent.child(this.bindings, this.opts)) as Enabled;
    return this.made;
  }

  private enabled(level: Level): boolean {
    // The root (the real logger itself): its answer per level, kept until its level is set. Every request asks it twice
    // (InfoGatedLogController), and pino's isLevelEnabled (a getter, symbol-keyed loads, a bound comparison) was ~0.65k
    // instructions a call (callgrind). The real logger is reachable only through this object, so `set level` below is
    // the only way its level changes.
    if (this.answers !== null) return (this.answers[level] ??= this.real().isLevelEnabled?.(level) ?? true);
    // A child with its own level (a route's logLevel) decides for itself; otherwise the parent's level is the child's.
    if (this.made || this.opts.level !== undefined || !(this.parent instanceof LazyLogger)) {
      const target = this.made ?? this.real();
      return target.isLevelEnabled ? target.isLevelEnabled(level) : true;
    }
    return this.parent.enabled(level);
  }

  get level(): string {
    if (this.made) return this.made.level;
    if (this.opts.level !== undefined) return this.opts.level;
    return this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
    if (this.answers !== null) this.answers = {};
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return new LazyLogger(this, bindings, options ?? {}) as unknown as FastifyBaseLogger;
  }

  isLevelEnabled(level: string): boolean {
    return this.enabled(level as Level);
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

/**
 * Fastify's per-request log lines (`incoming request`, `request completed`) asked of the request's logger only when
 * it writes info: at the server's level (warn) each request made two info calls (an argument object, the reply's
 * elapsed time, a level walk up the lazy loggers) that wrote nothing. Every line that would be written still is, the
 * same: info lines when the request's logger (its route's logLevel, else the server's) writes info, and `request
 * errored` (an onResponse hook that failed) at any level.
 */
export class InfoGatedLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (writesInfo(request.log)) super.incomingRequest(request, reply);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error || writesInfo(request.log)) super.requestCompleted(error, request, reply);
  }
}

const writesInfo = (log: FastifyBaseLogger): boolean => (log as Enabled).isLevelEnabled?.('info') ?? true;
