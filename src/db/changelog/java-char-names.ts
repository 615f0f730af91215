/**
 * Java 17's Character.codePointOf, behind a pattern's `\N{name}`: the Unicode character names of the JVM Liquibase
 * runs on, from src/data/java-char-names.txt.br (written by tools/java-char-names.java; 33,762 names and the runs of
 * code points whose name Java makes up from their block). The table is a data file read the first time a pattern
 * uses `\N{`, never part of the code every command loads: 101 kB compressed, 0.97 MB as text.
 */
import { readFileSync } from 'node:fs';
import { dataFile } from '../../package-root.js';

interface NameTable {
  named: Map<string, number>;
  /** Code points start..end-1 whose name is `<block> <HEX>` (Character.getName for a character with no name). */
  madeUp: { start: number; end: number; block: string }[];
}

let table: NameTable | undefined;

function nameTable(): NameTable {
  if (table) return table;
  // zlib loaded here, not imported: `db package` loads its built-ins before the launcher sets V8 flags (a built-in
  // loaded later is compiled without its code cache), and only a pattern with `\N{` needs this one.
  const zlib = process.getBuiltinModule('node:zlib');
  const text = zlib.brotliDecompressSync(readFileSync(dataFile('java-char-names.txt.br'))).toString('latin1');
  const named = new Map<string, number>();
  const madeUp: NameTable['madeUp'] = [];
  let cp = -1;
  let runEnd = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('~')) {
      const [gap, length, block] = line.slice(1).split(',') as [string, string, string];
      const start = runEnd + parseInt(gap, 36);
      runEnd = start + parseInt(length, 36);
      madeUp.push({ start, end: runEnd, block });
      continue;
    }
    const space = line.indexOf(' ');
    cp += parseInt(line.slice(0, space), 36) + 1;
    named.set(line.slice(space + 1), cp);
  }
  table = { named, madeUp };
  return table;
}

/**
 * The code point Java's Character.codePointOf gives for `name` (already trimmed and upper-cased the way it does),
 * undefined where it throws: a name of the table, or `<block> <HEX>` for a character Java names that way.
 */
export function javaCodePointOf(name: string): number | undefined {
  const t = nameTable();
  const cp = t.named.get(name);
  if (cp !== undefined) return cp;
  // Java parses the last word as hex and keeps it only where the whole name is what getName gives that code point.
  const space = name.lastIndexOf(' ');
  const hex = name.slice(space + 1);
  if (space < 0 || !/^[0-9A-F]{1,6}$/.test(hex)) return undefined;
  const code = parseInt(hex, 16);
  const run = t.madeUp.find((r) => code >= r.start && code < r.end);
  return run && name === `${run.block} ${code.toString(16).toUpperCase()}` ? code : undefined;
}
