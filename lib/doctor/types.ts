/**
 * The results `kubexec doctor` produces: one {@linkcode StepResult} per check, in the order the
 * checks run, each with the likely cause and fix when it failed.
 *
 * @module
 */

/** The checks, in the order a connection goes through them. */
export type StepName =
  | "kubeconfig"
  | "credentials"
  | "dns"
  | "tcp"
  | "proxy"
  | "tls"
  | "authentication"
  | "authorization"
  | "protocol";

/**
 * How a check ended: `ok`; `warn` (works, but something deserves attention; does not fail the
 * run); `fail`; `skip` (not run: an earlier step failed, or nothing to check).
 */
export type StepStatus = "ok" | "warn" | "fail" | "skip";

/** The outcome of one check. */
export interface StepResult {
  /** Which check. */
  step: StepName;
  /** How it ended. */
  status: StepStatus;
  /** One line saying what was found. */
  summary: string;
  /** For `fail` and `warn`: the likely cause, in words a user can act on. */
  cause?: string;
  /** For `fail` and `warn`: what to do about it. */
  fix?: string;
}

/**
 * Builds a result, leaving out empty cause and fix.
 *
 * @example
 * ```ts
 * import { stepResult } from "./types.ts";
 * stepResult("dns", "ok", "127.0.0.1 is an IP address (no lookup)");
 * ```
 */
export function stepResult(
  step: StepName,
  status: StepStatus,
  summary: string,
  advice: { cause?: string; fix?: string } = {},
): StepResult {
  const result: StepResult = { step, status, summary };
  if (advice.cause) result.cause = advice.cause;
  if (advice.fix) result.fix = advice.fix;
  return result;
}
