// `<`, `>` and `&` (all below U+0100, so \u00XX) in a JSON body; the test runs first because most bodies have none.
const HTML_SPECIAL = /[<>&]/;
const HTML_SPECIAL_ALL = /[<>&]/g;

/** JSON text with `<`, `>`, `&` escaped as \u003c…, so no JSON body can ever be sniffed or rendered as HTML. */
export function toSafeJson(value: unknown): string {
  const json = JSON.stringify(value);
  return HTML_SPECIAL.test(json) ? json.replace(HTML_SPECIAL_ALL, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : json;
}
