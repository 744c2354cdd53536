/**
 * Label and field selectors as the API server parses them from LIST/WATCH queries:
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`; fields `metadata.name`,
 * `metadata.namespace`, `status.phase`, `spec.nodeName` with `=`/`==`/`!=`.
 *
 * @module
 */

/** Raised for a selector the fake cannot parse (answered with 400). */
export class SelectorError extends Error {
  selector: string;
  constructor(selector: string) {
    super(`unable to parse requirement: invalid selector ${JSON.stringify(selector)}`);
    this.name = "SelectorError";
    this.selector = selector;
  }
}

type Requirement = (labels: Record<string, string>) => boolean;

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      terms.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

function parseTerm(term: string, whole: string): Requirement {
  let m = term.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/);
  if (m) {
    const [, key, op, list] = m;
    const values = list.split(",").map((v) => v.trim());
    return op === "in"
      ? (l) => key in l && values.includes(l[key])
      : (l) => !(key in l) || !values.includes(l[key]);
  }
  m = term.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/);
  if (m) {
    const [, key, op, value] = m;
    return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = term.match(/^(!?)([\w./-]+)$/);
  if (m) {
    const [, not, key] = m;
    return not ? (l) => !(key in l) : (l) => key in l;
  }
  throw new SelectorError(whole);
}

/**
 * Compiles a label selector into a predicate over a label map.
 *
 * @example
 * ```ts
 * import { labelSelector } from "./selectors.ts";
 * labelSelector("app=web,tier in (a,b)")({ app: "web", tier: "a" }); // true
 * ```
 */
export function labelSelector(
  selector: string | null,
): (labels: Record<string, string>) => boolean {
  if (!selector) return () => true;
  const requirements = splitTerms(selector).map((term) => parseTerm(term, selector));
  return (labels) => requirements.every((r) => r(labels));
}

/**
 * Compiles a field selector over a pod object.
 *
 * @example
 * ```ts
 * import { fieldSelector } from "./selectors.ts";
 * fieldSelector("metadata.name=web-0")({ metadata: { name: "web-0" } }); // true
 * ```
 */
export function fieldSelector(
  selector: string | null,
): (object: Record<string, unknown>) => boolean {
  if (!selector) return () => true;
  const requirements = splitTerms(selector).map((term) => {
    const m = term.match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorError(selector);
    const [, path, op, value] = m;
    return (object: Record<string, unknown>) => {
      let current: unknown = object;
      for (const part of path.split(".")) {
        current = (current as Record<string, unknown> | undefined)?.[part];
      }
      const actual = current === undefined ? "" : String(current);
      return op === "!=" ? actual !== value : actual === value;
    };
  });
  return (object) => requirements.every((r) => r(object));
}
