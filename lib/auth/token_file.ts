/**
 * A bearer token read from a file (`tokenFile`, the in-cluster service-account token) and re-read
 * periodically so that rotated tokens are picked up, with client-go's caching semantics
 * (`transport/token_source.go`):
 *
 * - a read token is trusted for `periodMs` (1 minute) minus `leewayMs` (10 s), then the file is read
 *   again on the next `get()`;
 * - the content is trimmed; an empty file counts as a failed read;
 * - a failed read keeps the last good token (logged), or falls back to the inline `token` when one
 *   was configured next to `tokenFile`, and only fails when neither exists.
 *
 * Unlike client-go, `invalidate()` after a `401` re-reads the file at once and answers `true` when it
 * now holds a different token, so a rotation that happened within the cache period is not missed.
 *
 * @module
 */
import { goReason, reservedPathHint } from "../fs_errors.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { TokenFileError } from "./errors.ts";
import type { CredentialProvider, Credentials } from "./types.ts";

/** Options of {@linkcode tokenFileProvider}. */
export interface TokenFileOptions {
  /** The inline `token` configured next to `tokenFile`, used when the file cannot be read. */
  fallbackToken?: string;
  /** How long a read token is trusted; client-go uses 1 minute. */
  periodMs?: number;
  /** Re-read this long before the period ends; client-go uses 10 s. */
  leewayMs?: number;
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** Reads the file; defaults to `Deno.readTextFile`. */
  readTextFile?: (path: string) => Promise<string>;
  logger?: Logger;
}

/** client-go's re-read period for token files. */
export const TOKEN_FILE_PERIOD_MS = 60_000;
/** client-go's leeway before the period ends. */
export const TOKEN_FILE_LEEWAY_MS = 10_000;

/**
 * Describes a failed read the way Go's `os.ReadFile` error reads (`open <path>: <reason>`) for the
 * common cases, without echoing file contents.
 */
function describeReadError(path: string, error: unknown): string {
  const operation = error instanceof Deno.errors.IsADirectory ? "read" : "open";
  return `${operation} ${path}: ${goReason(error)}`;
}

/**
 * A provider that sends the token held in `path` as `Authorization: Bearer`.
 *
 * @example
 * ```ts
 * import { tokenFileProvider } from "./token_file.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc\n");
 * const provider = tokenFileProvider(path);
 * (await provider.get()).headers; // [["Authorization", "Bearer abc"]]
 * await Deno.remove(path);
 * ```
 */
export function tokenFileProvider(
  path: string,
  options: TokenFileOptions = {},
): CredentialProvider {
  const periodMs = options.periodMs ?? TOKEN_FILE_PERIOD_MS;
  const leewayMs = options.leewayMs ?? TOKEN_FILE_LEEWAY_MS;
  const now = options.now ?? Date.now;
  const readTextFile = options.readTextFile ?? Deno.readTextFile;
  const logger = options.logger ?? silentLogger;
  const fallbackToken = options.fallbackToken ?? "";

  let cachedToken: string | undefined;
  let cachedUntil = 0;
  let pendingRead: Promise<string> | undefined;

  async function readToken(): Promise<string> {
    let text: string;
    try {
      text = await readTextFile(path);
    } catch (error) {
      throw new TokenFileError(path, describeReadError(path, error), reservedPathHint(error));
    }
    const token = text.trim();
    if (token === "") throw new TokenFileError(path, "empty");
    return token;
  }

  /** Reads the file once for all concurrent callers and updates the cache on success. */
  function refresh(): Promise<string> {
    pendingRead ??= readToken()
      .then((token) => {
        cachedToken = token;
        cachedUntil = now() + periodMs;
        return token;
      })
      .finally(() => {
        pendingRead = undefined;
      });
    return pendingRead;
  }

  function bearer(token: string): Credentials {
    return { headers: [["Authorization", `Bearer ${token}`]] };
  }

  async function currentToken(): Promise<string> {
    if (cachedToken !== undefined && cachedUntil - leewayMs > now()) return cachedToken;
    try {
      return await refresh();
    } catch (error) {
      const kept = cachedToken ?? (fallbackToken !== "" ? fallbackToken : undefined);
      if (kept === undefined) throw error;
      logger(2, () => `Unable to rotate token: ${(error as Error).message}`);
      return kept;
    }
  }

  let lastSent: string | undefined;
  return {
    description: `bearer token from file ${path}`,
    async get() {
      lastSent = await currentToken();
      return bearer(lastSent);
    },
    async invalidate() {
      try {
        const token = await refresh();
        return token !== lastSent;
      } catch (error) {
        logger(2, () => `Unable to re-read token after 401: ${(error as Error).message}`);
        return false;
      }
    },
  };
}
