/**
 * `<column>` elements (Liquibase's ColumnConfig, AddColumnConfig and LoadDataColumnConfig) and `<constraints>`
 * (ConstraintsConfig): the values as Liquibase converts them while loading, and their serialised form for checksums.
 */
import { SlipwayError } from '../../errors.js';
import type { ChangeNode } from './change-node.js';
import { attrLine } from '../changelog/value-lines.js';
import type { SerialObject, SerialValue } from './serialize.js';
import { dateOrFunction, javaBoolean, numericOrFunction, type Value } from './values.js';

const BOOLEAN_FIELDS = new Set([
  'computed',
  'valueBoolean',
  'defaultValueBoolean',
  'autoIncrement',
  'defaultOnNull',
  'descending',
  'allowUpdate',
  // ConstraintsConfig
  'nullable',
  'primaryKey',
  'unique',
  'deleteCascade',
  'initiallyDeferred',
  'deferrable',
  'validateNullable',
  'validateUnique',
  'validatePrimaryKey',
  'validateForeignKey',
]);
const INTEGER_FIELDS = new Set(['startWith', 'incrementBy', 'position', 'index']);

export const COLUMN_ATTRS = [
  'name',
  'computed',
  'type',
  'value',
  'valueNumeric',
  'valueDate',
  'valueBoolean',
  'valueBlobFile',
  'valueClobFile',
  'encoding',
  'valueComputed',
  'valueSequenceNext',
  'valueSequenceCurrent',
  'defaultValue',
  'defaultValueNumeric',
  'defaultValueDate',
  'defaultValueBoolean',
  'defaultValueComputed',
  'defaultValueSequenceNext',
  'defaultValueConstraintName',
  'autoIncrement',
  'generationType',
  'defaultOnNull',
  'startWith',
  'incrementBy',
  'remarks',
  'descending',
  'afterColumn',
  'beforeColumn',
  'position',
  'header',
  'index',
  'allowUpdate',
  'nullPlaceholder',
];

export const CONSTRAINT_ATTRS = [
  'nullable',
  'notNullConstraintName',
  'primaryKey',
  'primaryKeyName',
  'primaryKeyTablespace',
  'references',
  'referencedTableCatalogName',
  'referencedTableSchemaName',
  'referencedTableName',
  'referencedColumnNames',
  'unique',
  'uniqueConstraintName',
  'checkConstraint',
  'deleteCascade',
  'foreignKeyName',
  'initiallyDeferred',
  'deferrable',
  'validateNullable',
  'validateUnique',
  'validatePrimaryKey',
  'validateForeignKey',
];

export interface ColumnConfig {
  name?: string;
  type?: string;
  /** Loaded fields, converted as Liquibase stores them (booleans `true`/`false`, canonical integers). */
  fields: Record<string, string>;
  constraints: Record<string, string> | null;
  /** getValueObject(): value, valueBoolean, valueNumeric, valueDate, valueComputed, …, in that order. */
  value: Value | null;
  /** getDefaultValueObject(). */
  defaultValue: Value | null;
  autoIncrement: boolean;
}

/** BigInteger.toString of an integer attribute (leading zeros and `+` dropped). */
export function canonicalInteger(v: string): string {
  const t = v.trim();
  return /^[+-]?\d+$/.test(t) ? BigInt(t).toString() : t;
}

/** Converts one loaded attribute the way Liquibase's typed setters do, for the serialised form. */
export function convertField(field: string, raw: string): string {
  if (BOOLEAN_FIELDS.has(field)) return String(javaBoolean(raw));
  if (INTEGER_FIELDS.has(field)) return canonicalInteger(raw);
  return raw;
}

/** The plain attributes ColumnConfig.load reads first, in its order (one array for every column). */
const COLUMN_FIELDS = [
  'name',
  'computed',
  'type',
  'encoding',
  'autoIncrement',
  'startWith',
  'incrementBy',
  'remarks',
  'descending',
  'valueBoolean',
  'valueBlobFile',
  'valueClobFile',
  'defaultValueConstraintName',
  'defaultValue',
  'defaultValueBoolean',
  'defaultOnNull',
  'generationType',
  'afterColumn',
  'beforeColumn',
  'position',
  'header',
  'index',
  'allowUpdate',
  'nullPlaceholder',
];

/** Where each COLUMN_FIELDS name stands in it (loadColumn sets a column's fields in that order). */
const COLUMN_FIELD_AT = new Map(COLUMN_FIELDS.map((k, i) => [k, i]));

/**
 * Column attributes the 4.28 XSD defines (attribute group `column`) that ColumnConfig.load has no property for: it
 * stops parsing the changelog with "Unexpected node: <name>" (measured on PostgreSQL in XML and YAML, for createTable
 * and addColumn: test/integration/db-change-type-gaps-oracle.test.ts), whichever changesets are selected.
 */
const UNLOADABLE_COLUMN_ATTRS = ['defaultValueSequenceCurrent'];

/** E_CHANGELOG for a `<column>` anywhere under the change `node` with an attribute Liquibase 4.28 cannot load. */
export function refuseUnloadableColumnAttrs(node: ChangeNode, file: string, change = node.name): void {
  for (const c of node.children) {
    const bad = c.name === 'column' ? UNLOADABLE_COLUMN_ATTRS.find((a) => c.attrs[a] !== undefined) : undefined;
    if (bad !== undefined)
      throw new SlipwayError('E_CHANGELOG', `Unexpected node: ${bad} (a <column> of <${change}>)`, {
        file,
        line: attrLine(c, bad),
        ...(attrLine(c, bad) === c.line ? { column: c.column } : {}),
        field: bad,
        hint: `Liquibase 4.28 stops parsing the changelog on it too (its XSD lists ${bad}, its ColumnConfig has no such property); use defaultValueComputed="currval('<sequence>')" for the same default.`,
      });
    refuseUnloadableColumnAttrs(c, file, change);
  }
}

/** ColumnConfig.load for one `<column>` (attributes already property-expanded). */
export function loadColumn(node: ChangeNode): ColumnConfig {
  const a = node.attrs;
  const fields: Record<string, string> = {};
  const put = (k: string, v: string | undefined): void => {
    if (v !== undefined) fields[k] = convertField(k, v);
  };
  // The column's own attributes among COLUMN_FIELDS, set in that array's order: a column has a few attributes, and
  // looking each of the 24 names up on every column (attribute objects of many shapes, so megamorphic lookups) was
  // most of loadColumn's cost in callgrind of fineract's package (its inserts load a column per value).
  const present: number[] = [];
  for (const k in a) {
    const at = COLUMN_FIELD_AT.get(k);
    if (at !== undefined && a[k] !== undefined) present.push(at);
  }
  if (present.length > 1) present.sort((x, y) => x - y);
  for (const at of present) put(COLUMN_FIELDS[at]!, a[COLUMN_FIELDS[at]!]);
  // `<column name="x">text</column>`: the text is the value.
  const value = a.value ?? (node.text.trim() === '' ? undefined : node.text.trim());
  put('value', value);
  putTypedValue(fields, 'value', a.valueNumeric, a.valueDate, a.valueComputed);
  put('valueSequenceNext', a.valueSequenceNext);
  put('valueSequenceCurrent', a.valueSequenceCurrent);
  const generated = a.defaultValueNumeric === 'GENERATED_BY_DEFAULT';
  if (generated) fields.autoIncrement = 'true';
  putTypedValue(
    fields,
    'defaultValue',
    generated ? undefined : a.defaultValueNumeric,
    a.defaultValueDate,
    a.defaultValueComputed,
  );
  put('defaultValueSequenceNext', a.defaultValueSequenceNext);

  const cnode = node.children.find((c) => c.name === 'constraints');
  let constraints: Record<string, string> | null = null;
  if (cnode) {
    constraints = {};
    for (const k of CONSTRAINT_ATTRS) {
      const v = cnode.attrs[k];
      if (v !== undefined) constraints[k] = convertField(k, v);
    }
  }
  return {
    name: fields.name,
    type: fields.type,
    fields,
    constraints,
    value: valueObject(fields),
    defaultValue: defaultValueObject(fields),
    autoIncrement: fields.autoIncrement === 'true',
  };
}

/**
 * The `…Numeric`, `…Date` and `…Computed` attributes of a value (`prefix` value) or a default (defaultValue), as
 * ColumnConfig's setters take them: a number or a date goes to its own field, anything else there (a function call)
 * becomes the computed one, and an explicit `…Computed` wins. Fields are set in that order (the serialised order).
 */
function putTypedValue(
  fields: Record<string, string>,
  prefix: 'value' | 'defaultValue',
  numeric: string | undefined,
  date: string | undefined,
  computed: string | undefined,
): void {
  let fn: string | undefined;
  if (numeric !== undefined) {
    const n = numericOrFunction(numeric);
    if (n?.kind === 'number') fields[`${prefix}Numeric`] = n.text;
    else if (n) fn = n.text;
  }
  if (date !== undefined) {
    const d = dateOrFunction(date);
    // ColumnConfig holds the parsed date: the checksum has ISODateFormat's text, "yyyy-MM-ddTHH:mm:ss" for a date-time.
    if (d?.kind === 'date') fields[`${prefix}Date`] = d.text.replace(' ', 'T');
    else if (d) fn = d.text;
  }
  if (computed !== undefined) fn = computed;
  if (fn !== undefined) fields[`${prefix}Computed`] = fn;
}

function valueObject(f: Record<string, string>): Value | null {
  if (f.value !== undefined) return { kind: 'string', text: f.value };
  if (f.valueBoolean !== undefined) return { kind: 'boolean', value: f.valueBoolean === 'true' };
  if (f.valueNumeric !== undefined) return { kind: 'number', text: f.valueNumeric };
  if (f.valueDate !== undefined) return { kind: 'date', text: f.valueDate };
  if (f.valueComputed !== undefined) return { kind: 'function', text: f.valueComputed };
  if (f.valueClobFile !== undefined) return { kind: 'string', text: f.valueClobFile };
  if (f.valueBlobFile !== undefined) return { kind: 'string', text: f.valueBlobFile };
  if (f.valueSequenceNext !== undefined) return { kind: 'sequenceNext', text: f.valueSequenceNext };
  if (f.valueSequenceCurrent !== undefined) return { kind: 'sequenceCurrent', text: f.valueSequenceCurrent };
  return null;
}

function defaultValueObject(f: Record<string, string>): Value | null {
  if (f.defaultValue !== undefined) return { kind: 'string', text: f.defaultValue };
  if (f.defaultValueBoolean !== undefined) return { kind: 'boolean', value: f.defaultValueBoolean === 'true' };
  if (f.defaultValueNumeric !== undefined) return { kind: 'number', text: f.defaultValueNumeric };
  if (f.defaultValueDate !== undefined) return { kind: 'date', text: f.defaultValueDate };
  if (f.defaultValueComputed !== undefined) return { kind: 'function', text: f.defaultValueComputed };
  if (f.defaultValueSequenceNext !== undefined) return { kind: 'sequenceNext', text: f.defaultValueSequenceNext };
  return null;
}

/** The serialised form of a column (fields, plus the constraints object printed without a field name). */
export function serialColumn(c: ColumnConfig): SerialObject {
  const fields: Record<string, SerialValue | undefined> = { ...c.fields };
  if (c.constraints) fields.constraints = { fields: { ...c.constraints } };
  return { fields };
}
