#!/usr/bin/env node
// The change-type inventory of docs/change-type-coverage.md, checked against the XSD Liquibase 4.28 validates with
// (dbchangelog-4.28.xsd inside node_modules/liquibase's liquibase-core.jar): every change element of the XSD's
// changeSetChildren group (and tagDatabase) has a row; each row's element path exists in the XSD; each row names
// every attribute the XSD defines there, and its "covered" cell names no attribute the XSD lacks there.
//
//   node tools/change-type-inventory.mjs          prints the XSD inventory (element path: attributes)
//   node tools/change-type-inventory.mjs --check  checks the document against it (exit 1, listing each mismatch)
//
// Needs `npm run build:ts` (it parses the XSD with Slipway's own XML reader, dist/db/changelog/xml-tree.js).
// test/unit/change-type-inventory.test.ts runs the check.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { parseXmlTree } from '../dist/db/changelog/xml-tree.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const JAR = path.join(ROOT, 'node_modules/liquibase/dist/liquibase/internal/lib/liquibase-core.jar');
export const XSD_ENTRY = 'www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd';
export const DOC = path.join(ROOT, 'docs/change-type-coverage.md');

/** The bytes of the entry `entry` of the zip (jar) `file` (yauzl). */
export async function readZipEntry(file, entry) {
  const zip = await yauzl.openPromise(file, { autoClose: false });
  try {
    for await (const e of zip.eachEntry()) {
      if (e.fileName !== entry) continue;
      const chunks = [];
      for await (const chunk of await zip.openReadStreamPromise(e)) chunks.push(chunk);
      return Buffer.concat(chunks);
    }
  } finally {
    zip.close();
  }
  throw new Error(`${file}: no entry ${entry}`);
}

/**
 * The XSD's element paths and their attributes, in XSD order: each change element (`createTable`), its child elements
 * (`createTable/column`, `createTable/column/constraints`), and the top-level elements they refer to (`column`).
 */
export function xsdInventory(xsdText) {
  const schema = parseXmlTree(xsdText, XSD_ENTRY);
  const defs = { element: new Map(), complexType: new Map(), attributeGroup: new Map(), group: new Map() };
  for (const n of schema.children) defs[n.name]?.set(n.attrs.name, n);
  const named = (kind, name) => {
    const n = defs[kind].get(name.replace(/^\w+:/, ''));
    if (!n) throw new Error(`${XSD_ENTRY}: no ${kind} ${name}`);
    return n;
  };
  // The complexType (inline or named) of an element; null for a simple one.
  const typeOf = (el) => {
    if (el.attrs.ref) return typeOf(named('element', el.attrs.ref));
    if (el.attrs.type) return defs.complexType.get(el.attrs.type.replace(/^\w+:/, '')) ?? null;
    return el.children.find((c) => c.name === 'complexType') ?? null;
  };
  const attrs = (node, out = []) => {
    for (const c of node.children) {
      if (c.name === 'attribute' && c.attrs.name && !out.includes(c.attrs.name)) out.push(c.attrs.name);
      else if (c.name === 'attributeGroup' && c.attrs.ref) attrs(named('attributeGroup', c.attrs.ref), out);
      else if ((c.name === 'extension' || c.name === 'restriction') && defs.complexType.has(c.attrs.base)) {
        attrs(named('complexType', c.attrs.base), out);
        attrs(c, out);
      } else if (['complexContent', 'simpleContent', 'extension', 'restriction'].includes(c.name)) attrs(c, out);
    }
    return out;
  };
  const childElements = (node, out = []) => {
    for (const c of node.children) {
      if (c.name === 'element') out.push(c);
      else if (c.name === 'group' && c.attrs.ref) childElements(named('group', c.attrs.ref), out);
      else if (c.name === 'extension' && defs.complexType.has(c.attrs.base)) {
        childElements(named('complexType', c.attrs.base), out);
        childElements(c, out);
      } else if (['sequence', 'choice', 'all', 'complexContent', 'extension'].includes(c.name)) childElements(c, out);
    }
    return out;
  };
  const nameOf = (el) => (el.attrs.name ?? el.attrs.ref).replace(/^\w+:/, '');
  const changes = [
    ...childElements(named('group', 'changeSetChildren'))
      .map(nameOf)
      .filter((n) => n !== 'comment' && n !== 'rollback'),
    'tagDatabase',
  ];
  const inventory = new Map();
  const visit = (el, p, depth) => {
    const type = typeOf(el);
    inventory.set(p, type ? attrs(type) : []);
    if (type && depth < 3) for (const c of childElements(type)) visit(c, `${p}/${nameOf(c)}`, depth + 1);
  };
  for (const name of changes) visit(named('element', name), name, 0);
  // Rows may name a shared top-level element (`column/constraints`: the constraints of every column).
  for (const name of ['column', 'param', 'whereParams']) visit(named('element', name), name, 1);
  return { changes, inventory };
}

/** The table rows of docs/change-type-coverage.md: element path, covered cell, not-covered cell. */
export function docRows(markdown) {
  const rows = [];
  for (const line of markdown.split('\n')) {
    const m = /^\| `([A-Za-z/]+)`[^|]*\|([^|]*)\|([^|]*)\|\s*$/.exec(line);
    if (m) rows.push({ path: m[1], covered: m[2], notCovered: m[3] });
  }
  return rows;
}

const names = (cell) => [...cell.matchAll(/`([a-z][A-Za-z0-9]*)`/g)].map((m) => m[1]);

/** Every way docs/change-type-coverage.md (text `markdown`) and the XSD inventory disagree; empty when in sync. */
export function checkCoverageDoc(markdown, xsdText) {
  const { changes, inventory } = xsdInventory(xsdText);
  const rows = docRows(markdown);
  const problems = [];
  for (const c of changes)
    if (!rows.some((r) => r.path === c)) problems.push(`${c}: a change element of the XSD has no row`);
  for (const r of rows) {
    const want = inventory.get(r.path);
    if (!want) {
      problems.push(`${r.path}: no such element path in the XSD`);
      continue;
    }
    const named = new Set([...names(r.covered), ...names(r.notCovered)]);
    const missing = want.filter((a) => !named.has(a));
    if (missing.length) problems.push(`${r.path}: the row does not name ${missing.join(', ')}`);
    const extra = [...new Set(names(r.covered))].filter((a) => !want.includes(a));
    if (extra.length) problems.push(`${r.path}: the covered cell names ${extra.join(', ')}, not in the XSD here`);
  }
  return problems;
}

/** The XSD text from the installed Liquibase. */
export async function readXsd() {
  return (await readZipEntry(JAR, XSD_ENTRY)).toString('utf8');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const xsd = await readXsd();
  if (process.argv.includes('--check')) {
    const problems = checkCoverageDoc(readFileSync(DOC, 'utf8'), xsd);
    for (const p of problems) console.error(p);
    process.exitCode = problems.length ? 1 : 0;
  } else {
    for (const [p, a] of xsdInventory(xsd).inventory) console.log(`${p}: ${a.join(', ')}`);
  }
}
