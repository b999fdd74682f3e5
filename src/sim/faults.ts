/** What a fault rule does instead of the normal response. */
export type FaultResponse = { status: number; headers?: Record<string, string>; body?: unknown } | { drop: true } | { hang: true };

/**
 * Injected failure. `path` is matched against the decoded path without the `/v1.0` or
 * `/beta` prefix: a string must equal the path (with or without its query string), a
 * RegExp may match either form.
 */
export interface FaultRule {
  method?: string;
  path?: string | RegExp;
  /** How many matching requests fail (default 1; Infinity allowed). */
  times?: number;
  /** Let this many matching requests pass before failing. */
  skip?: number;
  respond: FaultResponse;
}

interface ArmedRule {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** Holds fault rules and their counters. */
export class FaultInjector {
  private rules: ArmedRule[] = [];

  /** Replaces all rules (counters start from zero). */
  set(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  /** The fault to apply to this request, if any (consumes one use of the rule). */
  match(method: string, pathWithQuery: string): FaultResponse | undefined {
    const pathOnly = pathWithQuery.split('?')[0];
    for (const armed of this.rules) {
      const { rule } = armed;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path !== undefined) {
        const ok =
          typeof rule.path === 'string'
            ? rule.path === pathOnly || rule.path === pathWithQuery
            : testRegExp(rule.path, pathOnly) || testRegExp(rule.path, pathWithQuery);
        if (!ok) continue;
      }
      const times = rule.times ?? 1;
      if (armed.fired >= times) continue;
      armed.seen++;
      if (armed.seen <= (rule.skip ?? 0)) continue;
      armed.fired++;
      return rule.respond;
    }
    return undefined;
  }
}

function testRegExp(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return re.test(text);
}
