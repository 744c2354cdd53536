/**
 * Closing the connections API clients keep alive, at the end of a CLI command: a client created
 * with `keepAlive` registers how to close its idle connection here, and the CLI calls
 * {@linkcode closeIdleConnections} once the command finished. A tiny module of its own so the
 * CLI's dispatcher can import it without loading the transport.
 *
 * @module
 */

const closers = new Set<() => void>();

/**
 * Remembers `close` until the next {@linkcode closeIdleConnections}.
 *
 * @example
 * ```ts
 * import { closeIdleConnections, registerIdleCloser } from "./idle_connections.ts";
 * registerIdleCloser(() => {});
 * closeIdleConnections();
 * ```
 */
export function registerIdleCloser(close: () => void): void {
  closers.add(close);
}

/**
 * Closes every registered client's idle connection and forgets the clients.
 *
 * @example
 * ```ts
 * import { closeIdleConnections } from "./idle_connections.ts";
 * closeIdleConnections();
 * ```
 */
export function closeIdleConnections(): void {
  for (const close of closers) close();
  closers.clear();
}
