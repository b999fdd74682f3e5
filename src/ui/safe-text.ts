/**
 * Text that came from a server (display names, descriptions, mapper names, error messages) is
 * written to a terminal, a log and a change record. It may carry control characters: an escape
 * sequence retitles or clears the terminal, a line break or a bare carriage return forges a line
 * (`Result: compliant`) or a Markdown heading, and a bidirectional override shows characters in
 * another order than they are stored. Every such character is shown as an escape instead, which
 * keeps it visible (an admin should see that a name is odd) and takes away its effect.
 *
 * Neutralised: C0 controls (U+0000–U+001F, ESC, CR, LF and TAB included), DEL, C1 controls
 * (U+0080–U+009F, NEL included), the Unicode line and paragraph separators (U+2028, U+2029), the
 * bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the bidi marks
 * (U+200E, U+200F, U+061C): marks reorder neighbouring digits and punctuation too, and no name
 * needs one to be read in an audit.
 *
 * The escapes are JSON's (`\n`, `\r`, `\t`, `\u001b`), so the same form serves text and JSON.
 */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/**
 * The colour codes this tool itself writes (chalk at level 1: bold, dim, red, green, yellow,
 * cyan and their resets). Only these pass, and only where colour is on: they change colour and
 * weight, never the cursor, the screen, the title or what is visible.
 */
const OWN_SGR = '\\u001b\\[(?:1|2|22|31|32|33|36|39)m';

const ANY = new RegExp(`${OWN_SGR}|[${UNSAFE}]`, 'g');
const ONE = new RegExp(`[${UNSAFE}]`, 'g');
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(ch: string): string {
  return SHORT[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function neutralise(text: string, keep: { newline: boolean; colors: boolean }): string {
  return text.replace(ANY, (m) => {
    if (m.length > 1) return keep.colors ? m : m.replace(ONE, escapeChar);
    return m === '\n' && keep.newline ? m : escapeChar(m);
  });
}

/** One line of plain text: every control, separator and bidi character shown as an escape. */
export function safeText(text: string): string {
  return text.replace(ONE, escapeChar);
}

/**
 * One line of painted output: like `safeText`, but this tool's own colour codes pass when
 * `colors` is on. Renderers apply it to each line they build, so a value cannot break a line
 * wherever it was interpolated.
 */
export function safeLine(text: string, colors: boolean): string {
  return neutralise(text, { newline: false, colors });
}

/**
 * The stream boundary (stdout, stderr): line breaks pass (the renderers have already made each
 * line safe), everything else is neutralised, colour codes pass when colour may be on.
 */
export function safeOutput(text: string, colors: boolean): string {
  return neutralise(text, { newline: true, colors });
}

/**
 * A serialised JSON document made safe to print: JSON.stringify already escapes C0 controls,
 * and this also escapes DEL, C1, the line separators and the bidi controls. These can only occur
 * inside strings, and `\uXXXX` is the same character to a JSON parser, so consumers still read
 * the exact value the server sent.
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, escapeChar);
}
