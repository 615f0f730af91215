/**
 * Values in change types (defaults, inserted/updated values) as Liquibase 4.28 converts and prints them: the parse
 * step (ColumnConfig setters: numbers that do not parse become computed functions, dates that do not parse too) and
 * the SQL step (each data type's objectToSql, InsertGenerator/UpdateGenerator for data changes).
 */
import { javaPropertySet, setHas, type CodePointSet } from '../changelog/java-char-set.js';
import type { ColumnType } from './data-types.js';
import { qualifiedName, stringLiteral, type NameContext } from './identifiers.js';

export type Value =
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'date'; text: string }
  | { kind: 'function'; text: string }
  | { kind: 'sequenceNext'; text: string; schema?: string }
  | { kind: 'sequenceCurrent'; text: string; schema?: string };

/** ColumnConfig.setValueNumeric: strips one pair of wrapping parentheses; NumberFormat parses a leading number. */
export function numericOrFunction(raw: string): { kind: 'number' | 'function'; text: string } | null {
  if (raw.toLowerCase() === 'null') return null;
  let v = raw;
  if (v.startsWith('(')) v = v.replace(/^\(/, '').replace(/\)$/, '');
  if (javaUsNumberPrefix(v)) return { kind: 'number', text: v };
  return { kind: 'function', text: raw };
}

let javaDigits: CodePointSet | undefined;

/**
 * Whether java.text.NumberFormat.getInstance(Locale.US).parse reads a number at the start of `v` (DecimalFormat.parse
 * in Java 17; what follows the number is ignored): the NaN symbol "NaN" before any sign, else an optional minus and
 * then the infinity symbol "∞", or `,` grouping separators, at most one `.` and a decimal digit — Character.digit of
 * one UTF-16 unit, so any BMP Nd digit ("٣") and never a supplementary one. Measured against Liquibase 4.28
 * (db-default-numeric-oracle.test.ts): "NaN", "∞", "-∞x", ",5", "٣" are numbers; "-NaN", "nan", "+1", " 1", "." are not.
 */
function javaUsNumberPrefix(v: string): boolean {
  if (v.startsWith('NaN')) return true;
  let i = v.startsWith('-') ? 1 : 0;
  if (v.startsWith('\u221e', i)) return true;
  while (v[i] === ',') i++;
  if (v[i] === '.') i++;
  if (i >= v.length) return false;
  const unit = v.charCodeAt(i);
  if (unit >= 0x30 && unit <= 0x39) return true;
  if (unit < 0x80) return false;
  javaDigits ??= javaPropertySet('Nd', false, false) ?? [];
  return setHas(javaDigits, unit);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{2}:\d{2}:\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

/** Whether liquibase's ISODateFormat parses `s` (date, time, or date-time with optional fraction). */
export function isIsoDate(s: string): boolean {
  return ISO_DATE.test(s) || ISO_TIME.test(s) || ISO_DATETIME.test(s);
}

/** ColumnConfig's date attributes: an ISO date/time stays a date, anything else is a computed function. */
export function dateOrFunction(raw: string): { kind: 'date' | 'function'; text: string } | null {
  const s = raw.trim();
  if (s === '' || s.toLowerCase() === 'null') return null;
  return isIsoDate(s) ? { kind: 'date', text: s } : { kind: 'function', text: s };
}

/** Java Boolean conversion of an attribute: "true" (any case) is true, everything else false. */
export function javaBoolean(raw: string): boolean {
  return /^true$/i.test(raw.trim());
}

/** Date literal (AbstractJdbcDatabase.getDateLiteral): 'yyyy-mm-dd', 'hh:mm:ss' or 'yyyy-mm-dd hh:mm:ss[.f]'. */
export function dateLiteral(iso: string): string {
  return `'${iso.replace('T', ' ')}'`;
}

function isCurrentTimeFunction(v: string): boolean {
  const l = v.toLowerCase();
  return l.startsWith('current_timestamp') || l.startsWith('current_datetime') || l === 'now()';
}

/** AbstractJdbcDatabase.generateDatabaseFunctionValue for PostgreSQL. */
export function functionSql(v: Value, names: NameContext): string {
  if (v.kind === 'sequenceNext') return `nextval('${qualifiedName(v.schema, v.text, names)}')`;
  if (v.kind === 'sequenceCurrent') return `currval('${qualifiedName(v.schema, v.text, names)}')`;
  const text = (v as { text: string }).text;
  return isCurrentTimeFunction(text) ? 'NOW()' : text;
}

const formatNumber = (s: string): string => s.replace(/\.0+$/, '');

/**
 * A value written as `null` in any case (defaultValue="NULL", defaultValueComputed="null"): LiquibaseDataType.objectToSql
 * and every override but BlobType's return Java null for it, which the generators print as `DEFAULT null`.
 */
export function isNullText(v: Value): boolean {
  return (v.kind === 'string' || v.kind === 'function') && v.text.toLowerCase() === 'null';
}

/** A column default as CreateTable/AddColumn/AddDefaultValue print it: the column type's objectToSql. */
export function defaultValueSql(v: Value, type: ColumnType | null, names: NameContext): string {
  const cls = type?.cls ?? 'unknown';
  const isFn = v.kind === 'function' || v.kind === 'sequenceNext' || v.kind === 'sequenceCurrent';
  const rawFn = (): string => (v as { text: string }).text ?? '';
  // UnknownType (jsonb, bytea, …) quotes what its parent returned, so a string "NULL" becomes 'null' (measured).
  if (isNullText(v) && cls !== 'blob') return cls === 'unknown' && v.kind === 'string' ? "'null'" : 'null';
  switch (cls) {
    case 'int':
    case 'bigint':
    case 'mediumint':
    case 'tinyint':
    case 'smallint':
      if (isFn) return v.kind === 'function' ? rawFn() : functionSql(v, names);
      if (v.kind === 'boolean') return cls === 'smallint' ? (v.value ? '1' : '0') : String(v.value);
      return formatNumber(v.kind === 'date' ? v.text : (v as { text: string }).text);
    case 'boolean':
      if (isFn) return v.kind === 'function' ? rawFn() : functionSql(v, names);
      if (v.kind === 'boolean') return v.value ? 'TRUE' : 'FALSE';
      if (v.kind === 'number') return /^1(\.0)?$/.test(v.text) ? 'TRUE' : 'FALSE';
      return booleanFromString((v as { text: string }).text);
    case 'char':
    case 'varchar':
    case 'nvarchar':
    case 'nchar':
      if (isFn) return v.kind === 'function' ? rawFn() : functionSql(v, names);
      return stringLiteral(plainText(v));
    case 'clob':
      if (isFn) return v.kind === 'function' ? rawFn() : functionSql(v, names);
      return plainText(v).startsWith("'") ? plainText(v) : stringLiteral(plainText(v));
    case 'date':
    case 'time':
    case 'datetime':
    case 'timestamp':
      if (isFn) return functionSql(v, names);
      if (v.kind === 'date') return dateLiteral(v.text);
      if (cls !== 'date' && cls !== 'time' && v.kind === 'string' && /\(\)$/.test(v.text)) return v.text;
      return stringLiteral(plainText(v));
    case 'blob':
      return v.kind === 'string' ? `'${v.text}'` : isFn ? functionSql(v, names) : plainText(v);
    case 'unknown':
      if (isFn) return functionSql(v, names);
      return `'${v.kind === 'number' ? formatNumber(v.text) : plainText(v)}'`;
    default:
      // LiquibaseDataType.objectToSql: functions through the database, numbers formatted, the rest as written.
      if (isFn) return functionSql(v, names);
      if (v.kind === 'number') return formatNumber(v.text);
      if (v.kind === 'date') return dateLiteral(v.text);
      return plainText(v);
  }
}

function plainText(v: Value): string {
  return v.kind === 'boolean' ? String(v.value) : v.text;
}

function booleanFromString(s: string): string {
  const v = s.replaceAll("'", '');
  const l = v.toLowerCase();
  if (l === 'true' || v === '1' || l === "b'1'" || l === 't') return 'TRUE';
  if (l === 'false' || v === '0' || l === "b'0'" || l === 'f') return 'FALSE';
  if (/^b?([01])\1*(::bit|::"bit")?$/.test(v)) return `b'${v.replace('b', '').replaceAll('"', '')}'::"bit"`;
  return `'${s}'`;
}

/** A value in INSERT/UPDATE (InsertGenerator.generateValues / UpdateGenerator.convertToString). */
export function dataValueSql(v: Value | null, names: NameContext): string {
  if (v === null) return 'NULL';
  switch (v.kind) {
    case 'string':
      if (v.text.toUpperCase() === 'NULL') return 'NULL';
      if (v.text.startsWith('"SYSIBM"') || v.text.startsWith('to_date(') || v.text.toUpperCase() === 'NOW()')
        return v.text;
      return stringLiteral(v.text);
    case 'number':
      return v.text.toUpperCase() === 'NULL' ? 'NULL' : v.text;
    case 'boolean':
      return v.value ? 'TRUE' : 'FALSE';
    case 'date':
      return dateLiteral(v.text);
    default:
      return functionSql(v, names);
  }
}
