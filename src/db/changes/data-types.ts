/**
 * Column types as Liquibase 4.28 writes them for PostgreSQL 10+ (DataTypeFactory.fromDescription, then each
 * LiquibaseDataType's PostgreSQL branch), with CONVERT_DATA_TYPES on (the default). Measured over ~130 spellings
 * with the real Liquibase (test/unit/db-changes-data-types.test.ts holds the table). Liquibase's oddities are kept
 * on purpose (`mediumint` stays MEDIUMINT, `varchar(10)[]` becomes `VARCHAR[](10)`), because the goal is the schema
 * Liquibase builds.
 */

/** The Liquibase type class a name resolves to (its registry of names and aliases, lower-case). */
const REGISTRY: Record<string, string> = {};
const register = (cls: string, names: string[]): void => {
  for (const n of names) REGISTRY[n.toLowerCase()] = cls;
};
register('bigint', [
  'bigint',
  'java.sql.Types.BIGINT',
  'java.math.BigInteger',
  'java.lang.Long',
  'integer8',
  'bigserial',
  'serial8',
  'int8',
]);
register('blob', [
  'blob',
  'longblob',
  'longvarbinary',
  'java.sql.Types.BLOB',
  'java.sql.Types.LONGBLOB',
  'java.sql.Types.LONGVARBINARY',
  'java.sql.Types.VARBINARY',
  'java.sql.Types.BINARY',
  'varbinary',
  'binary',
  'image',
  'tinyblob',
  'mediumblob',
  'long binary',
  'long varbinary',
]);
register('boolean', ['boolean', 'java.sql.Types.BOOLEAN', 'java.lang.Boolean', 'bit', 'bool']);
register('char', ['char', 'java.sql.Types.CHAR', 'bpchar', 'character']);
register('clob', [
  'clob',
  'longvarchar',
  'text',
  'longtext',
  'java.sql.Types.LONGVARCHAR',
  'java.sql.Types.CLOB',
  'nclob',
  'longnvarchar',
  'ntext',
  'java.sql.Types.LONGNVARCHAR',
  'java.sql.Types.NCLOB',
  'tinytext',
  'mediumtext',
  'long varchar',
  'long nvarchar',
]);
register('currency', ['currency', 'money', 'smallmoney']);
register('datetime', ['datetime', 'java.sql.Types.DATETIME', 'java.util.Date', 'smalldatetime', 'datetime2']);
register('date', ['date', 'java.sql.Types.DATE', 'java.sql.Date']);
register('decimal', ['decimal', 'java.sql.Types.DECIMAL', 'java.math.BigDecimal']);
register('double', ['double', 'java.sql.Types.DOUBLE', 'java.lang.Double']);
register('float', ['float', 'java.sql.Types.FLOAT', 'java.lang.Float', 'real', 'java.sql.Types.REAL']);
register('int', ['int', 'integer', 'java.sql.Types.INTEGER', 'java.lang.Integer', 'serial', 'int4', 'serial4']);
register('mediumint', ['mediumint']);
register('nchar', ['nchar', 'java.sql.Types.NCHAR', 'nchar2']);
register('nvarchar', ['nvarchar', 'java.sql.Types.NVARCHAR', 'nvarchar2', 'national']);
register('number', ['number', 'numeric', 'java.sql.Types.NUMERIC']);
register('smallint', ['smallint', 'java.sql.Types.SMALLINT', 'int2', 'smallserial']);
register('time', ['time', 'java.sql.Types.TIME', 'java.sql.Time', 'timetz']);
register('timestamp', [
  'timestamp',
  'java.sql.Types.TIMESTAMP',
  'java.sql.Types.TIMESTAMP_WITH_TIMEZONE',
  'java.sql.Timestamp',
  'timestamptz',
]);
register('tinyint', ['tinyint']);
register('uuid', ['uuid', 'uniqueidentifier', 'java.util.UUID']);
register('varchar', ['varchar', 'java.sql.Types.VARCHAR', 'java.lang.String', 'varchar2', 'character varying']);
register('xml', ['xml', 'xmltype', 'java.sql.Types.SQLXML']);

/** A parsed type description (Liquibase's LiquibaseDataType after fromDescription). */
export interface ColumnType {
  /** Resolved class: a registry name, or `unknown`. */
  cls: string;
  /** For `unknown`: the name Liquibase keeps (upper-cased when printed). */
  name: string;
  params: string[];
  additional: string | null;
  /** The definition as written. */
  raw: string;
  autoIncrement: boolean;
}

const CHAR_CLASSES = new Set(['char', 'varchar', 'nvarchar', 'nchar']);

/** DataTypeFactory.fromDescription. */
export function parseColumnType(definition: string): ColumnType {
  if (/^\$\{.*\}$/.test(definition))
    return { cls: 'unknown', name: definition, params: [], additional: null, raw: definition, autoIncrement: false };
  let name = definition;
  if (/^.+\(.*\).*$/.test(name)) name = name.replace(/\s*\(.*\)/, '');
  if (/^.+\{.*$/.test(name)) name = name.replace(/\s*\{.*/, '');
  let autoIncrement = false;
  if (name.toLowerCase().endsWith(' identity')) {
    name = name.toLowerCase().replace(/ identity$/, '');
    autoIncrement = true;
  }
  for (const [open, close] of [
    ['"', '"'],
    ['[', ']'],
    ['`', '`'],
    ["'", "'"],
  ] as const) {
    if (name.startsWith(open)) {
      const at = name.indexOf(close, open.length);
      if (at !== -1 && name.indexOf(close, at + close.length) === -1) {
        name = name.slice(open.length, at) + name.slice(at + close.length);
        break;
      }
    }
  }
  let additional: string | null = null;
  const lower = name.toLowerCase();
  if (
    !['bit varying', 'character varying', 'long varchar', 'long nvarchar', 'long binary', 'long varbinary'].some((p) =>
      lower.startsWith(p),
    )
  ) {
    const m = /^(\S*)(?:\s+([\s\S]*))?$/.exec(name.trim())!;
    name = m[1]!;
    additional = m[2] ?? null;
  }
  let cls = REGISTRY[name.toLowerCase()];
  let unknownName = name;
  if (!cls) {
    cls = 'unknown';
    if (name.toUpperCase().startsWith('INTERVAL')) unknownName = definition;
  }
  const params: string[] = [];
  if (/^.+\s*\(.*$/.test(definition)) {
    const inner = definition.replace(/^.*?\(/, '').replace(/\).*$/, '');
    for (let p of inner.split(',')) {
      p = p.trim();
      if (!p) continue;
      if (CHAR_CLASSES.has(cls)) p = p.replace(' BYTE', '');
      params.push(p);
    }
  }
  if (/\{.*/.test(definition)) {
    const inner = definition.replace(/^.*?\{/, '').replace(/\}.*$/, '');
    for (const p of inner.split(',')) {
      const [k, v] = p.trim().split(':', 2);
      if (k === 'autoIncrement' && v !== undefined) autoIncrement = /^true$/i.test(v.trim());
    }
  }
  // IntType/BigIntType/SmallIntType.finishInitialization: a serial spelling is auto-increment.
  const rawLower = definition.toLowerCase();
  if (cls === 'int' && rawLower.startsWith('serial')) autoIncrement = true;
  if ((cls === 'bigint' || cls === 'smallint') && rawLower.includes('serial')) autoIncrement = true;
  // Only the integer types carry the flag (" identity" on other types is dropped).
  if (!['int', 'bigint', 'smallint'].includes(cls)) autoIncrement = cls === 'unknown' ? false : autoIncrement;
  return { cls, name: unknownName, params, additional, raw: definition, autoIncrement };
}

const withParams = (name: string, params: string[]): string => (params.length ? `${name}(${params.join(', ')})` : name);
const withInfo = (type: string, info: string | null): string => (info !== null ? `${type} ${info}` : type);

/** The PostgreSQL type text Liquibase 4.28 prints for a parsed type (PostgreSQL 10+, so no serial types). */
export function renderColumnType(t: ColumnType): string {
  const raw = t.raw.trim();
  const rawLower = raw.toLowerCase();
  const maxTwo = t.params.slice(0, 2);
  switch (t.cls) {
    case 'bigint':
      return withInfo('BIGINT', t.additional);
    case 'int':
      return 'INTEGER';
    case 'smallint':
    case 'tinyint':
      return 'SMALLINT';
    case 'boolean':
      return rawLower.startsWith('bit')
        ? withParams('BIT', t.params)
        : withInfo(withParams('BOOLEAN', maxTwo), t.additional);
    case 'char':
    case 'varchar': {
      const name = t.cls.toUpperCase();
      if (t.params.length === 1) {
        const p = t.params[0]!.replace(/(?<=\d+)\s*CHAR$/i, '');
        if (p === '2147483647') return 'CHARACTER VARYING';
        return withInfo(`${name}(${p})`, t.additional);
      }
      return withInfo(withParams(name, maxTwo), t.additional);
    }
    case 'nvarchar':
      return withParams('VARCHAR', t.params);
    case 'nchar':
      return withInfo(withParams('NCHAR', maxTwo), t.additional);
    case 'clob':
      return 'TEXT';
    case 'blob':
      return rawLower.startsWith('blob') || raw === 'java.sql.Types.BLOB' ? 'OID' : 'BYTEA';
    case 'uuid':
      return 'UUID';
    case 'currency':
      return 'DECIMAL';
    case 'double':
      return 'DOUBLE PRECISION';
    case 'float':
      return rawLower === 'real' ? 'REAL' : withInfo(withParams('FLOAT', maxTwo), t.additional);
    case 'decimal':
      return withInfo(withParams('DECIMAL', maxTwo), t.additional);
    case 'mediumint':
      return withInfo(withParams('MEDIUMINT', maxTwo), t.additional);
    case 'xml':
      return withInfo(withParams('XML', maxTwo), t.additional);
    case 'number': {
      const first = t.params[0];
      if (first !== undefined && /^-?\d+$/.test(first) && Number(first) > 1000) return 'numeric';
      return withParams('numeric', t.params);
    }
    case 'date':
      return 'date';
    case 'time': {
      const zone =
        rawLower.includes('tz') || rawLower.includes('with time zone') ? 'WITH TIME ZONE' : 'WITHOUT TIME ZONE';
      return `${withParams('time', t.params.slice(0, 1))} ${zone}`;
    }
    case 'datetime': {
      const p = t.params.length === 2 ? t.params[1] : t.params[0];
      const base = p === undefined ? 'TIMESTAMP' : `TIMESTAMP(${p})`;
      return rawLower.includes('tz') || rawLower.includes('with time zone')
        ? `${base} WITH TIME ZONE`
        : `${base} WITHOUT TIME ZONE`;
    }
    case 'timestamp': {
      const base = t.params.length ? `TIMESTAMP(${t.params[0]})` : 'TIMESTAMP';
      if (t.additional !== null) {
        const up = t.additional.toUpperCase();
        return `${base} ${up.includes('TIMEZONE') ? up.replace('TIMEZONE', 'TIME ZONE') : t.additional}`;
      }
      return rawLower.includes('tz') || raw.startsWith('java.sql.Types.TIMESTAMP_WITH_TIMEZONE')
        ? `${base} WITH TIME ZONE`
        : `${base} WITHOUT TIME ZONE`;
    }
    default: {
      const max = /^(enum|set)$/i.test(t.name) ? t.params : maxTwo;
      return withInfo(withParams(t.name.toUpperCase(), max), t.additional);
    }
  }
}

/** Parse and render in one step. */
export function pgColumnType(definition: string): string {
  return renderColumnType(parseColumnType(definition));
}
