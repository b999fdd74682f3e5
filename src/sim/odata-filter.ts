import { GraphError, badRequest } from './errors.js';

/**
 * OData `$filter` as the simulated Graph reads it: parse, evaluate against an object, and check an
 * endpoint's filterable properties and the operators that need advanced query parameters.
 */

// ---------------------------------------------------------------------------
// $filter
// ---------------------------------------------------------------------------

export type Operand = { kind: 'prop'; path: string } | { kind: 'lit'; value: string | number | boolean | null };

export type FilterNode =
  | { kind: 'cmp'; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; left: Operand; right: Operand }
  | { kind: 'func'; name: 'startswith' | 'endswith' | 'contains'; args: Operand[] }
  | { kind: 'in'; left: Operand; values: Operand[] }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; expr: FilterNode };

type Token = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'punc'; v: '(' | ')' | ',' };

/** A `$filter` the parser cannot read; code and wording: ASSUMPTIONS.md (Transport: unreadable $filter). */
function invalidFilter(detail: string): GraphError {
  return badRequest(`Invalid filter clause: ${detail}`, 'BadRequest');
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      // Learn "Use query parameters" (query-parameters), Escaping single quotes: a single quote
      // inside a string literal is escaped by doubling it.
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw invalidFilter('unterminated string literal.');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += text[i++];
      }
      out.push({ t: 'str', v });
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punc', v: c });
      i++;
    } else if (/[-0-9]/.test(c) && /^-?\d+(\.\d+)?(?![\w-])/.test(text.slice(i))) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_@$]/.test(c)) {
      const m = /^[A-Za-z_@$][\w./@$:-]*/.exec(text.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      throw invalidFilter(`unexpected character '${c}'.`);
    }
  }
  return out;
}

const CMP_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCS = new Set(['startswith', 'endswith', 'contains']);

class FilterParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.parseOr();
    if (this.pos < this.tokens.length) throw invalidFilter('unexpected trailing input.');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && t.v.toLowerCase() === word;
  }

  private expectPunc(v: '(' | ')' | ','): void {
    const t = this.tokens[this.pos++];
    if (t?.t !== 'punc' || t.v !== v) throw invalidFilter(`expected '${v}'.`);
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (this.isKeyword('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    if (this.isKeyword('not')) {
      this.pos++;
      return { kind: 'not', expr: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const t = this.peek();
    if (t?.t === 'punc' && t.v === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.expectPunc(')');
      return inner;
    }
    if (t?.t === 'id' && FUNCS.has(t.v.toLowerCase()) && this.tokens[this.pos + 1]?.t === 'punc') {
      this.pos++;
      this.expectPunc('(');
      const args: Operand[] = [this.parseOperand()];
      while (this.peek()?.t === 'punc' && (this.peek() as { v: string }).v === ',') {
        this.pos++;
        args.push(this.parseOperand());
      }
      this.expectPunc(')');
      return { kind: 'func', name: t.v.toLowerCase() as 'startswith', args };
    }
    const left = this.parseOperand();
    const op = this.tokens[this.pos++];
    if (op?.t !== 'id') throw invalidFilter('expected an operator.');
    const opName = op.v.toLowerCase();
    if (opName === 'in') {
      this.expectPunc('(');
      const values: Operand[] = [this.parseOperand()];
      while (this.peek()?.t === 'punc' && (this.peek() as { v: string }).v === ',') {
        this.pos++;
        values.push(this.parseOperand());
      }
      this.expectPunc(')');
      return { kind: 'in', left, values };
    }
    if (!CMP_OPS.has(opName)) throw invalidFilter(`unsupported operator '${op.v}'.`);
    return { kind: 'cmp', op: opName as 'eq', left, right: this.parseOperand() };
  }

  private parseOperand(): Operand {
    const t = this.tokens[this.pos++];
    if (!t) throw invalidFilter('unexpected end of expression.');
    if (t.t === 'str') return { kind: 'lit', value: t.v };
    if (t.t === 'num') return { kind: 'lit', value: t.v };
    if (t.t === 'id') {
      const lower = t.v.toLowerCase();
      if (lower === 'true') return { kind: 'lit', value: true };
      if (lower === 'false') return { kind: 'lit', value: false };
      if (lower === 'null') return { kind: 'lit', value: null };
      if (lower.includes('(') || lower.includes(':')) throw invalidFilter(`unsupported expression '${t.v}'.`);
      return { kind: 'prop', path: t.v };
    }
    throw invalidFilter('expected a property or a literal.');
  }
}

/** Parses an OData `$filter` expression (comparisons, `in`, startswith/endswith/contains, and/or/not). */
export function parseFilter(text: string): FilterNode {
  if (!text.trim()) throw invalidFilter('empty expression.');
  // Lambda operators exist in Graph; the sim does not model them (ASSUMPTIONS.md, Transport: lambda filters).
  if (/\/(any|all)\(/i.test(text)) {
    throw new GraphError(400, 'Request_UnsupportedQuery', 'Lambda expressions are not supported by the simulation.');
  }
  return new FilterParser(tokenize(text)).parse();
}

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('/')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function operandValue(op: Operand, obj: unknown): unknown {
  return op.kind === 'lit' ? op.value : readPath(obj, op.path);
}

function norm(v: unknown): unknown {
  // Directory strings compare case-insensitively (displayName, UPN, mail, GUIDs): ASSUMPTIONS.md
  // (Transport: case-insensitive $filter).
  return typeof v === 'string' ? v.toLowerCase() : v === undefined ? null : v;
}

/** Evaluates a parsed filter against one object. */
export function evalFilter(node: FilterNode, obj: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evalFilter(node.left, obj) && evalFilter(node.right, obj);
    case 'or':
      return evalFilter(node.left, obj) || evalFilter(node.right, obj);
    case 'not':
      return !evalFilter(node.expr, obj);
    case 'in': {
      const v = norm(operandValue(node.left, obj));
      return node.values.some((o) => norm(operandValue(o, obj)) === v);
    }
    case 'func': {
      const [a, b] = node.args.map((o) => operandValue(o, obj));
      if (typeof a !== 'string' || typeof b !== 'string') return false;
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      if (node.name === 'startswith') return x.startsWith(y);
      if (node.name === 'endswith') return x.endsWith(y);
      return x.includes(y);
    }
    case 'cmp': {
      const a = norm(operandValue(node.left, obj));
      const b = norm(operandValue(node.right, obj));
      switch (node.op) {
        case 'eq':
          return a === b;
        case 'ne':
          return a !== b;
        case 'gt':
          return (a as number) > (b as number);
        case 'ge':
          return (a as number) >= (b as number);
        case 'lt':
          return (a as number) < (b as number);
        case 'le':
          return (a as number) <= (b as number);
      }
    }
  }
}

/** Every property path the filter references. */
export function filterProperties(node: FilterNode): string[] {
  const out: string[] = [];
  const visitOperand = (o: Operand): void => {
    if (o.kind === 'prop') out.push(o.path);
  };
  const visit = (n: FilterNode): void => {
    switch (n.kind) {
      case 'and':
      case 'or':
        visit(n.left);
        visit(n.right);
        break;
      case 'not':
        visit(n.expr);
        break;
      case 'cmp':
        visitOperand(n.left);
        visitOperand(n.right);
        break;
      case 'in':
        visitOperand(n.left);
        n.values.forEach(visitOperand);
        break;
      case 'func':
        n.args.forEach(visitOperand);
        break;
    }
  };
  visit(node);
  return out;
}

/** `prop eq 'literal'` clauses reachable through `and` only (what a mandatory filter needs). */
export function conjunctiveEqualities(node: FilterNode): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (n: FilterNode): void => {
    if (n.kind === 'and') {
      visit(n.left);
      visit(n.right);
    } else if (n.kind === 'cmp' && n.op === 'eq') {
      if (n.left.kind === 'prop' && n.right.kind === 'lit') out.set(n.left.path.toLowerCase(), n.right.value);
      else if (n.right.kind === 'prop' && n.left.kind === 'lit') out.set(n.right.path.toLowerCase(), n.left.value);
    }
  };
  visit(node);
  return out;
}

/**
 * The first operator in `node` that Entra only accepts in advanced queries (`ConsistencyLevel: eventual` + `$count=true`).
 * Learn "Advanced query capabilities on directory objects" (aad-advanced-queries): `ne`, `not` and
 * `endsWith` need the advanced query parameters; `in` works by default wherever `eq` does, and so
 * does `startsWith`. `contains`: ASSUMPTIONS.md (Transport: contains).
 */
function advancedOperator(node: FilterNode): string | undefined {
  switch (node.kind) {
    case 'and':
    case 'or':
      return advancedOperator(node.left) ?? advancedOperator(node.right);
    case 'not':
      return 'not';
    case 'cmp':
      return node.op === 'ne' ? 'ne' : undefined;
    case 'func':
      return node.name === 'startswith' ? undefined : node.name === 'endswith' ? 'endsWith' : node.name;
    case 'in':
      return undefined;
  }
}

/**
 * Learn "Advanced query capabilities on directory objects" (aad-advanced-queries), Error handling:
 * the documented answer to an advanced-only operator sent without `$count=true` and `ConsistencyLevel`.
 */
export function advancedQueryRequired(operator: string): GraphError {
  return new GraphError(
    400,
    'Request_UnsupportedQuery',
    `Operator '${operator}' is not supported because the required parameters might be missing. ` +
      `Try adding $count=true query parameter and ConsistencyLevel:eventual header. ` +
      `Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
  );
}

export interface FilterSpec {
  /** Resource type name for error messages, e.g. `Group`. */
  resource: string;
  /** Filterable properties (case-insensitive). */
  properties: string[];
}

/**
 * Parses `$filter` and checks every property against the endpoint's filterable set.
 * Returns undefined when no filter was given.
 */
export function parseFilterFor(query: URLSearchParams, spec: FilterSpec, advanced: boolean): FilterNode | undefined {
  const text = query.get('$filter');
  if (text === null) return undefined;
  const node = parseFilter(text);
  // Learn "Advanced query capabilities on directory objects" (aad-advanced-queries), Error handling:
  // a property that does not support the filter answers 400 `Request_UnsupportedQuery` with this wording.
  const allowed = new Set(spec.properties.map((p) => p.toLowerCase()));
  for (const p of filterProperties(node)) {
    if (!allowed.has(p.toLowerCase())) {
      throw new GraphError(
        400,
        'Request_UnsupportedQuery',
        `Unsupported or invalid query filter clause specified for property '${p}' of resource '${spec.resource}'.`,
      );
    }
  }
  // Same page: an operator that needs advanced query parameters, sent without them, answers 400
  // `Request_UnsupportedQuery` "Operator '…' is not supported because the required parameters might be missing…".
  if (!advanced) {
    const op = advancedOperator(node);
    if (op) throw advancedQueryRequired(op);
  }
  return node;
}
