/**
 * Plain YAML timestamps (`2020-01-01`, `2020-01-01 10:00:00`) as Liquibase 4.28 reads them: SnakeYAML's implicit
 * resolver tags them, and Liquibase's CustomConstructYamlTimestamp turns a date alone into a java.util.Date at UTC
 * midnight, a date-time without offset (a trailing Z is ignored) into the text "yyyy-MM-dd HH:mm:ss" (fraction
 * dropped), and one with an offset into the Date's toString — both in the JVM's default time zone, which here is the
 * build's (TZ, else the system's). A Date reaches SQL and checksums as its toString ("Wed Jan 01 00:00:00 UTC 2020")
 * except under valueDate/defaultValueDate (ColumnConfig reads a Date there: "2020-01-01 00:00:00", local).
 * Hand-written: no library reproduces java.util.Date.toString or Liquibase's constructor. Measured with TZ unset
 * (UTC), Europe/Berlin and America/New_York: `valueDate: 2020-01-01` is 2019-12-31 19:00 in New York.
 */

// SnakeYAML's Resolver.TIMESTAMP (YAML 1.1).
const TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
const YMD = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$/;
// CustomConstructYamlTimestamp.TIMESTAMP_REGEXP.
const PARTS =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(?:Z|([-+][0-9]{1,2})(?::([0-9]{2})?)?))?)?$/;

/** Whether SnakeYAML resolves this plain scalar as a timestamp. */
export function isYamlTimestamp(src: string): boolean {
  return TIMESTAMP.test(src);
}

/** The JVM's default zone as this process sees it (TZ, else the system's). */
function zone(): string {
  const z = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // TZ set to nothing Intl knows (TZ=""): the JVM falls back to UTC (GMT) then too.
  return !z || z === 'Etc/Unknown' ? 'UTC' : z;
}

function localParts(ms: number): Record<string, string> {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone(),
    weekday: 'short',
    month: 'short',
    year: 'numeric',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/** java.util.TimeZone's short name (Locale.US) as far as Intl knows it; "GMT+hh:mm" otherwise, as Java falls back. */
function zoneName(ms: number): string {
  const z = zone();
  if (/^(?:Etc\/)?(?:UTC|UCT|Universal|Zulu)$/.test(z)) return 'UTC';
  if (/^(?:Etc\/)?(?:GMT|Greenwich)(?:[+-]0)?$/.test(z)) return 'GMT';
  for (const locale of ['en-US', 'en-GB']) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: z, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  const off = new Intl.DateTimeFormat('en-US', { timeZone: z, timeZoneName: 'longOffset' })
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value;
  return off === 'GMT' || off === undefined ? 'GMT' : off;
}

/** java.util.Date.toString: "EEE MMM dd HH:mm:ss zzz yyyy" in the default zone. */
function javaDateString(ms: number): string {
  const p = localParts(ms);
  return `${p.weekday} ${p.month} ${p.day} ${p.hour}:${p.minute}:${p.second} ${zoneName(ms)} ${p.year}`;
}

/** "yyyy-MM-dd HH:mm:ss" of an instant in the default zone. */
function localDateTime(ms: number): string {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/**
 * The text Liquibase 4.28 reads for the plain timestamp scalar `src` under `key`: a date's Date as ColumnConfig's
 * valueDate/defaultValueDate print it, or its toString elsewhere; a date-time's text.
 */
export function yamlTimestampText(src: string, key: string | undefined): string {
  const ymd = YMD.exec(src);
  if (ymd) {
    const ms = Date.UTC(Number(ymd[1]), Number(ymd[2]) - 1, Number(ymd[3]));
    return key === 'valueDate' || key === 'defaultValueDate' ? localDateTime(ms).replace(' ', 'T') : javaDateString(ms);
  }
  const m = PARTS.exec(src);
  if (!m) return src;
  const fraction = Number(`${m[6]}${m[7] ? `.${m[7]}` : ''}`);
  const sec = Math.floor(fraction);
  // Calendar is lenient: milliseconds rounded up to 1000 carry into the next second.
  const ms = Math.round((fraction - sec) * 1000);
  const fields = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), sec, ms);
  if (m[8] === undefined) {
    // Set and formatted in the same zone: the fields themselves (but for a local time a DST change skips).
    return new Date(fields).toISOString().slice(0, 19).replace('T', ' ');
  }
  const hours = Number(m[8]);
  const minutes = m[9] === undefined ? 0 : Number(m[9]) * Math.sign(hours || (m[8].startsWith('-') ? -1 : 1));
  return javaDateString(fields - (hours * 60 + minutes) * 60_000);
}
