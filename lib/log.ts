/**
 * Verbosity-levelled logging shared by every part, in the spirit of klog's `-v=N`: parts receive a
 * {@linkcode Logger} and never write to the terminal themselves. Messages are built lazily so that
 * hot paths pay nothing at low verbosity. Callers must pass text that is already redacted (see
 * {@linkcode redactHeaderValue}).
 *
 * This module imports nothing and may be imported by any part.
 *
 * @module
 */

/** Logs `message()` when the configured verbosity is at least `level`. */
export type Logger = (level: number, message: () => string) => void;

/**
 * A logger that drops everything.
 *
 * @example
 * ```ts
 * import { silentLogger } from "./log.ts";
 * silentLogger(6, () => "never built");
 * ```
 */
export const silentLogger: Logger = () => {};

const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

/**
 * Returns a header value fit for logs: secret-bearing headers keep only their scheme
 * (`Bearer <masked>`), and bearer-token WebSocket subprotocols are masked.
 *
 * @example
 * ```ts
 * import { redactHeaderValue } from "./log.ts";
 * redactHeaderValue("Authorization", "Bearer abc"); // "Bearer <masked>"
 * ```
 */
export function redactHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (SECRET_HEADERS.has(lower)) {
    const space = value.indexOf(" ");
    return space > 0 ? `${value.slice(0, space)} <masked>` : "<masked>";
  }
  if (lower === "sec-websocket-protocol") {
    return value.replace(
      /base64url\.bearer\.authorization\.k8s\.io\.[^,\s]*/g,
      "base64url.bearer.authorization.k8s.io.<masked>",
    );
  }
  return value;
}
