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

/**
 * Masks the password of a URL's user info the way Go's `URL.Redacted` does, for messages.
 *
 * @example
 * ```ts
 * import { redactUrlPassword } from "./log.ts";
 * redactUrlPassword("http://me:pw@proxy:3128"); // "http://me:xxxxx@proxy:3128"
 * ```
 */
export function redactUrlPassword(url: string): string {
  // The authority runs to the first `/`, `?` or `#`; its user info ends at its last `@` (a
  // password may hold `@`), and the password starts after the user info's first `:`.
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)/.exec(url);
  if (!match) return url;
  const [, scheme, authority] = match;
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  if (at < 0 || colon < 0 || colon > at) return url;
  return `${scheme}${authority.slice(0, colon)}:xxxxx${url.slice(scheme.length + at)}`;
}
