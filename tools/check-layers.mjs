#!/usr/bin/env node
// Layering lint (run by `npm run lint`): every import in src/ must follow the layer table in docs/architecture.md,
// and no import cycle may exist between layers or between files.
//
// Hand-written on the TypeScript compiler API (already a dependency) because dependency-cruiser >=17 needs Node 22,
// eslint-plugin-boundaries/import-x would be new dependencies that the shared install cannot pick up, and the table
// must be read from the architecture document itself so the picture and the check cannot drift apart.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Parses the `| folder | what | may import |` table of docs/architecture.md into layer → allowed layers. An entry
 * with a slash (`deploy/plan.ts`) allows that one file only; "everything above" means every earlier row.
 */
export function parseLayerTable(markdown) {
  const rows = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`src\/([a-z-]+)(?:\/|\.ts)`[^|]*\|[^|]*\|([^|]*)\|\s*$/.exec(line);
    if (m) rows.push({ layer: m[1], allowed: m[2].trim() });
  }
  const table = new Map();
  rows.forEach((row, i) => {
    const above = rows.slice(0, i).map((r) => r.layer);
    const allowed =
      row.allowed === '—' || row.allowed === ''
        ? []
        : row.allowed.split(',').flatMap((a) => {
            const name = a
              .trim()
              .replace(/`/g, '')
              .replace(/\s*\(.*\)$/, '');
            if (name === 'everything above') return above;
            return [name];
          });
    table.set(row.layer, new Set(allowed));
  });
  // A layer may use what its allowed layers may use (config may import errors, so builder may too).
  let grew = true;
  while (grew) {
    grew = false;
    for (const allowed of table.values()) {
      for (const a of [...allowed]) {
        for (const b of table.get(a) ?? []) {
          if (!allowed.has(b)) {
            allowed.add(b);
            grew = true;
          }
        }
      }
    }
  }
  return table;
}

/** The layer of a file under src/: its top folder, or its base name for a top-level module (errors.ts → errors). */
export function layerOf(srcDir, file) {
  const rel = path.relative(srcDir, file).split(path.sep);
  return rel.length === 1 ? rel[0].replace(/\.ts$/, '') : rel[0];
}

function listSources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) out.push(...listSources(abs));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(abs);
  }
  return out.sort();
}

/** Relative imports (static, `import type`, re-exports and string-literal dynamic imports) of one file, resolved. */
export function importsOf(file, text) {
  const info = ts.preProcessFile(text, true, true);
  const out = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), ref.fileName);
    const candidates = [
      base.replace(/\.js$/, '.ts'),
      base.replace(/\.js$/, '.tsx'),
      base,
      `${base}.ts`,
      path.join(base, 'index.ts'),
    ];
    const hit = candidates.find((c) => {
      try {
        return statSync(c).isFile();
      } catch {
        return false;
      }
    });
    const line = text.slice(0, ref.pos).split('\n').length;
    out.push({ spec: ref.fileName, target: hit ?? null, line });
  }
  return out;
}

/** Strongly connected components with more than one node (or a self-edge): the import cycles. */
export function findCycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const cycles = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? new Set()).has(v)) cycles.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return cycles;
}

/** Every violation in the tree at `root`: layer-table breaches, unresolvable relative imports, and cycles. */
export function checkLayers(root) {
  const srcDir = path.join(root, 'src');
  const table = parseLayerTable(readFileSync(path.join(root, 'docs/architecture.md'), 'utf8'));
  const problems = [];
  const files = listSources(srcDir);
  const fileGraph = new Map();
  const layerGraph = new Map();
  for (const file of files) {
    const rel = path.relative(root, file);
    const from = layerOf(srcDir, file);
    const allowed = table.get(from);
    if (!allowed) {
      problems.push(`${rel}: layer "${from}" is not in the table of docs/architecture.md`);
      continue;
    }
    const edges = new Set();
    for (const imp of importsOf(file, readFileSync(file, 'utf8'))) {
      if (!imp.target) {
        problems.push(`${rel}:${imp.line}: cannot resolve import "${imp.spec}"`);
        continue;
      }
      if (!imp.target.startsWith(srcDir + path.sep)) {
        problems.push(`${rel}:${imp.line}: imports "${imp.spec}" from outside src/`);
        continue;
      }
      edges.add(imp.target);
      const to = layerOf(srcDir, imp.target);
      if (to === from) continue;
      const file = path.relative(srcDir, imp.target).split(path.sep).join('/');
      // A file the table names on its own is a declared shared module, not a dependency on its whole layer; the
      // file-level cycle check below still covers it.
      if (allowed.has(file)) continue;
      if (!layerGraph.has(from)) layerGraph.set(from, new Set());
      layerGraph.get(from).add(to);
      if (!allowed.has(to))
        problems.push(`${rel}:${imp.line}: ${from} may not import ${to} ("${imp.spec}"); see docs/architecture.md`);
    }
    fileGraph.set(file, edges);
  }
  for (const c of findCycles(layerGraph)) problems.push(`layer cycle: ${c.join(' ⇄ ')}`);
  for (const c of findCycles(fileGraph))
    problems.push(`import cycle: ${c.map((f) => path.relative(root, f)).join(' → ')}`);
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? '.');
  const problems = checkLayers(root);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length) {
    process.stderr.write(`check-layers: ${problems.length} problem(s)\n`);
    process.exitCode = 1;
  }
}
