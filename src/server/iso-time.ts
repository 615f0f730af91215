// The ISO text of the last second asked for: Date#toISOString formats in C++ (about a microsecond), and the audit
// line and the health body each need one per request, nearly always within the same second as the previous request.
let cachedSecond = NaN;
let cachedPrefix = '';

/** `new Date(ms).toISOString()`, formatted once per second and completed with the milliseconds. */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z" (or ±YYYYYY-… far out)
    cachedPrefix = iso.slice(0, -4);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  if (!Number.isInteger(milli)) return new Date(ms).toISOString(); // fractional or NaN: Date's own rounding/error
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
