/**
 * Fault injection: tests arm faults for the next matching request or for every one; the server
 * takes the faults that apply when a request arrives.
 *
 * @module
 */

import type { Fault, FaultMatcher } from "./types.ts";

interface ArmedFault {
  fault: Fault;
  match: FaultMatcher;
  remaining: number;
}

/**
 * Matches the streaming endpoints (exec, attach, portforward): the default target of faults.
 *
 * @example
 * ```ts
 * import { streamingRequests } from "./faults.ts";
 * streamingRequests({ method: "GET", url: new URL("https://h/api/v1/namespaces/d/pods/p/exec") }); // true
 * ```
 */
export const streamingRequests: FaultMatcher = ({ url }) =>
  /\/pods\/[^/]+\/(exec|attach|portforward)$/.test(url.pathname);

/**
 * The server's armed faults.
 *
 * @example
 * ```ts
 * import { FaultController } from "./faults.ts";
 * const faults = new FaultController();
 * faults.next({ kind: "missingStatus" });
 * ```
 */
export class FaultController {
  #armed: ArmedFault[] = [];

  /** Applies `fault` to the next `times` matching requests (default: the next streaming one). */
  next(fault: Fault, match: FaultMatcher = streamingRequests, times = 1): void {
    this.#armed.push({ fault, match, remaining: times });
  }

  /** Applies `fault` to every matching request until {@linkcode clear}. */
  always(fault: Fault, match: FaultMatcher = streamingRequests): void {
    this.#armed.push({ fault, match, remaining: Infinity });
  }

  /** Disarms every fault. */
  clear(): void {
    this.#armed = [];
  }

  /** Takes the faults that apply to a request (used by the server). */
  take(request: { method: string; url: URL }): Fault[] {
    const taken: Fault[] = [];
    for (const armed of this.#armed) {
      if (armed.remaining > 0 && armed.match(request)) {
        armed.remaining--;
        taken.push(armed.fault);
      }
    }
    this.#armed = this.#armed.filter((a) => a.remaining > 0);
    return taken;
  }
}
