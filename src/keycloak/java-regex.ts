/**
 * Java regular expressions as Keycloak applies them to claim values (whole-value String.matches),
 * translated to JavaScript where the two read them alike, and the verdict on one regex condition.
 */
import { GUID } from '../core/ids.js';

/** A Java regular expression translated to JavaScript, or why it cannot be faithfully. */
export type JavaRegex = { re: RegExp; caseInsensitive: boolean; literal?: string; asciiPattern: boolean } | { error: string };

const HEX = /^[0-9a-fA-F]$/;

/**
 * Translates the subset of Java regex syntax whose meaning JavaScript's RegExp (without the `u`
 * flag) shares, anchored for a whole-string match: Keycloak compares claim values with Java's
 * `String.matches` (RegexUtils.valueMatchesRegex, used by AdvancedClaimToGroupMapper and
 * AdvancedAttributeToGroupMapper), which must match the entire value. A leading `(?i)` becomes the
 * `i` flag. Anything else Java reads differently (other inline flags, possessive quantifiers,
 * atomic groups, class unions and intersections, `\p{…}`, `\Q…\E` inside classes, back
 * references, `\s`, `\b`, a `{` that is not a quantifier …) is refused: the caller must then fail
 * closed. `literal` is set when the pattern matches one string only (up to case with `(?i)`).
 */
export function translateJavaRegex(pattern: string): JavaRegex {
  let src = pattern;
  let caseInsensitive = false;
  if (src.startsWith('(?i)')) {
    caseInsensitive = true;
    src = src.slice(4);
  }
  let out = '';
  let literal: string | undefined = '';
  const notLiteral = () => {
    literal = undefined;
  };
  const refuse = (what: string): JavaRegex => ({
    error: `${what} (Java and JavaScript read it differently, or this tool does not translate it)`,
  });
  let inClass = false;
  let classStart = -1;
  // Whether the previous token can take a quantifier, and whether a quantifier was just written.
  let atom = false;
  let quantified = false;
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === undefined) return refuse('a trailing backslash');
      if (next === 'Q') {
        if (inClass) return refuse('\\Q inside a character class');
        const end = src.indexOf('\\E', i + 2);
        const quoted = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        if (quoted.length === 0) {
          i = end < 0 ? src.length : end + 1;
          continue;
        }
        // Escaped one by one, not grouped: a quantifier after \E repeats the last character only.
        out += quoted.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
        if (literal !== undefined) literal += quoted;
        i = end < 0 ? src.length : end + 1;
        atom = true;
        quantified = false;
        continue;
      }
      if ('dDwW'.includes(next)) {
        out += `\\${next}`;
        notLiteral();
        i++;
        atom = !inClass;
        quantified = false;
        continue;
      }
      const simple: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };
      if (simple[next] !== undefined) {
        out += `\\${next}`;
        if (literal !== undefined) literal += simple[next];
        i++;
        atom = !inClass;
        quantified = false;
        continue;
      }
      if (next === 'x' || next === 'u') {
        const len = next === 'x' ? 2 : 4;
        const digits = src.slice(i + 2, i + 2 + len);
        if (digits.length !== len || ![...digits].every((d) => HEX.test(d))) return refuse(`\\${next} not followed by ${len} hex digits`);
        out += `\\${next}${digits}`;
        if (literal !== undefined) literal += String.fromCharCode(parseInt(digits, 16));
        i += 1 + len;
        atom = !inClass;
        quantified = false;
        continue;
      }
      if (/[A-Za-z0-9]/.test(next)) return refuse(`the escape \\${next}`);
      // An escaped non-alphanumeric character is that character in both.
      out += `\\${next}`;
      if (literal !== undefined) literal += next;
      i++;
      atom = !inClass;
      quantified = false;
      continue;
    }
    if (inClass) {
      if (ch === '[') return refuse('a "[" inside a character class (a union in Java)');
      if (ch === '&' && src[i + 1] === '&') return refuse('"&&" inside a character class (an intersection in Java)');
      if (ch === ']') {
        if (i === classStart) return refuse('an empty or "]"-first character class');
        inClass = false;
        out += ']';
        atom = true;
        quantified = false;
        continue;
      }
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      notLiteral();
      out += '[';
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      classStart = i + 1;
      continue;
    }
    if (ch === '(') {
      notLiteral();
      if (src[i + 1] === '?') {
        const kind = src.slice(i + 2, i + 3);
        if (kind !== ':' && kind !== '=' && kind !== '!') return refuse(`the group "(?${kind}"`);
        out += `(?${kind}`;
        i += 2;
      } else {
        out += '(';
      }
      depth++;
      atom = false;
      quantified = false;
      continue;
    }
    if (ch === ')') {
      if (depth === 0) return refuse('an unbalanced ")"');
      depth--;
      out += ')';
      atom = true;
      quantified = false;
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      let q = ch;
      if (ch === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
        if (!m) return refuse('a "{" that is not a quantifier');
        q = m[0];
      }
      if (quantified) {
        // `x*?` is lazy in both; `x*+` is possessive in Java only.
        if (ch === '?') {
          out += '?';
          quantified = false;
          atom = false;
          continue;
        }
        return refuse(ch === '+' ? 'a possessive quantifier' : 'a repeated quantifier');
      }
      if (!atom) return refuse(`a quantifier "${q}" with nothing to repeat`);
      out += q;
      i += q.length - 1;
      notLiteral();
      quantified = true;
      atom = false;
      continue;
    }
    if (ch === '|' || ch === '.') {
      notLiteral();
      out += ch;
      atom = ch === '.';
      quantified = false;
      continue;
    }
    if (ch === '^' || ch === '$') {
      // Anchors change nothing in a whole-string match; in a literal they may only stand at the ends.
      if ((ch === '^' && i !== 0) || (ch === '$' && i !== src.length - 1)) notLiteral();
      out += ch;
      atom = false;
      quantified = false;
      continue;
    }
    out += ch;
    if (literal !== undefined) literal += ch;
    atom = true;
    quantified = false;
  }
  if (inClass) return refuse('an unclosed character class');
  if (depth !== 0) return refuse('an unclosed group');
  try {
    // Every character the pattern names is ASCII (written or escaped): case folding then touches
    // ASCII letters only, in Java's (?i) and in JavaScript's `i` alike (javaMatches).
    const asciiPattern =
      /^[\x00-\x7f]*$/.test(pattern) &&
      ![...pattern.matchAll(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))/g)].some((m) => parseInt(m[1] ?? m[2], 16) > 0x7f);
    return {
      re: new RegExp(`^(?:${out})$`, caseInsensitive ? 'i' : ''),
      caseInsensitive,
      asciiPattern,
      ...(literal !== undefined ? { literal } : {}),
    };
  } catch (err) {
    return refuse(`a pattern JavaScript cannot compile (${(err as Error).message})`);
  }
}

/** Values whose matching JavaScript and Java could disagree on: line terminators (`.`), surrogate pairs (code points vs units). */
const UNSAFE_VALUE = /[\n\r\u0085\u2028\u2029\ud800-\udfff]/;

/** Java's `String.matches(regex)` for a translated pattern; undefined when the two could disagree on `value`. */
function javaMatches(j: Extract<JavaRegex, { re: RegExp }>, value: string): boolean | undefined {
  if (UNSAFE_VALUE.test(value)) return undefined;
  // Java's (?i) folds ASCII letters only; JavaScript's `i` folds other letters too. The two can
  // differ only where the pattern names a non-ASCII character: a non-ASCII value character can
  // then fold onto it in JavaScript and not in Java. (Without the u flag JavaScript never folds a
  // non-ASCII character onto an ASCII one, so an ASCII-only pattern reads every value alike.)
  if (j.caseInsensitive && !j.asciiPattern && /[^\x00-\x7f]/.test(value)) return undefined;
  return j.re.test(value);
}

/** Java's whole-string match of `pattern` against `value`; undefined when it cannot be evaluated faithfully. */
export function fullMatch(pattern: string, value: string): boolean | undefined {
  const j = translateJavaRegex(pattern);
  return 'error' in j ? undefined : javaMatches(j, value);
}

/** What the claim can carry besides the expected value: a list, or why it is unknown. */
export type OtherClaimValues = { values: string[]; what: string } | { unknown: string };

/** How one regex condition on the expected claim behaves. */
export type RegexVerdict =
  /** `literal`: matches one value only; `assigned`: matches none of the other values the claim can carry today. */
  | { verdict: 'exact'; proof?: 'literal' | 'assigned' }
  | { verdict: 'no-match' }
  | { verdict: 'too-broad'; also: string; what: string }
  | { verdict: 'unprovable'; why: string }
  | { verdict: 'cannot-evaluate'; why: string };

/**
 * Judges a regex condition as Keycloak applies it (Java `String.matches` on each value of the
 * claim; any value matching satisfies the condition): exact when it matches the expected value and
 * none of the other values the token can carry. A plain literal of an object id (also under
 * `(?i)`: another group's id is never a case variant of it) needs no list of the others.
 */
export function judgeRegexCondition(pattern: string, want: string, others: OtherClaimValues | undefined): RegexVerdict {
  const j = translateJavaRegex(pattern);
  if ('error' in j) return { verdict: 'cannot-evaluate', why: j.error };
  const hit = javaMatches(j, want);
  if (hit === undefined)
    return { verdict: 'cannot-evaluate', why: `the expected value ${want} holds characters Java and JavaScript match differently` };
  if (!hit) return { verdict: 'no-match' };
  if (j.literal !== undefined && (!j.caseInsensitive || GUID.test(want))) return { verdict: 'exact', proof: 'literal' };
  if (!others || 'unknown' in others)
    return {
      verdict: 'unprovable',
      why: others && 'unknown' in others ? others.unknown : 'the other values the token can carry are unknown',
    };
  for (const o of others.values) {
    const m = javaMatches(j, o);
    if (m === undefined) return { verdict: 'cannot-evaluate', why: `${o} holds characters Java and JavaScript match differently` };
    if (m) return { verdict: 'too-broad', also: o, what: others.what };
  }
  return { verdict: 'exact', proof: 'assigned' };
}
