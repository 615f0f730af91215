/** Decoding of `<sqlFile encoding="…">` as Liquibase 4.28's StreamUtil.readStreamAsString (BomAwareInputStream) does. */
import { SlipwayError } from '../../errors.js';
import { attrLine } from './value-lines.js';
import type { ChangelogNode } from './xml-tree.js';

const BOMS: [number[], string][] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xfe, 0xff], 'utf-16be'],
  [[0xff, 0xfe], 'utf-16le'],
];

/**
 * The file's text: a leading BOM is dropped and picks the charset; else `encoding` (a Java charset name); else UTF-8.
 * Malformed bytes become U+FFFD, as Java's decoder replaces them. An unknown charset is E_CHANGELOG at the `encoding`
 * value of element `at`.
 */
export function decodeSqlFile(
  bytes: Uint8Array,
  encoding: string | undefined,
  file: string,
  at: ChangelogNode,
): string {
  for (const [bom, charset] of BOMS) {
    if (bom.every((b, i) => bytes[i] === b)) return new TextDecoder(charset).decode(bytes.subarray(bom.length));
  }
  const name = (encoding ?? 'UTF-8').trim().toLowerCase();
  // Java's ISO-8859-1 maps every byte to the same code point; the WHATWG "latin1" label means windows-1252.
  if (/^(iso-?8859[-_]1|latin1|l1|iso_8859_1|cp819|ibm819|8859_1)$/.test(name))
    return Buffer.from(bytes).toString('latin1');
  const label = name.replace(/^cp(12\d\d)$/, 'windows-$1').replace(/^utf_?8$/, 'utf-8');
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { ignoreBOM: true });
  } catch {
    throw new SlipwayError('E_CHANGELOG', `<sqlFile encoding="${encoding}">: unknown charset`, {
      file,
      line: attrLine(at, 'encoding'),
      field: 'encoding',
      hint: 'Use a charset name Java knows, e.g. UTF-8, ISO-8859-1, windows-1252 (Liquibase fails on an unknown one too).',
    });
  }
  return decoder.decode(bytes);
}
