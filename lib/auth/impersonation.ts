/**
 * The impersonation request headers (`--as`, `--as-uid`, `--as-group`, `as-user-extra`) as
 * client-go's impersonating round tripper writes them (`transport/round_trippers.go`): the request
 * layer adds them to every request, REST and WebSocket alike.
 *
 * @module
 */
import type { Impersonation } from "../kubeconfig/types.ts";

/** Bytes allowed in an HTTP header name (RFC 7230 `tchar`), as in Go's `net/http`. */
const TOKEN_CHARACTERS = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * Escapes an extra key for use in a header name: every UTF-8 byte that is not a header token
 * character, and `%` itself, becomes `%XX` (upper-case hex), so the server can unescape it.
 *
 * @example
 * ```ts
 * import { escapeExtraKey } from "./impersonation.ts";
 * escapeExtraKey("acme.io/scopes"); // "acme.io%2Fscopes"
 * ```
 */
export function escapeExtraKey(key: string): string {
  let escaped = "";
  for (const byte of new TextEncoder().encode(key)) {
    const character = String.fromCharCode(byte);
    escaped += byte < 0x80 && character !== "%" && TOKEN_CHARACTERS.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return escaped;
}

/**
 * The header lines for `impersonation`, in client-go's order: `Impersonate-User`, then
 * `Impersonate-Uid`, one `Impersonate-Group` per group, and one `Impersonate-Extra-<key>` per
 * value. Empty when nothing is impersonated. `Impersonate-User` is present whenever anything is
 * (client-go's validation rejects uid, groups or extras without a user).
 *
 * @example
 * ```ts
 * import { impersonationHeaders } from "./impersonation.ts";
 * impersonationHeaders({ user: "jane", groups: ["devs", "ops"], extra: { "acme.io/scopes": ["read"] } });
 * // [["Impersonate-User", "jane"], ["Impersonate-Group", "devs"], ["Impersonate-Group", "ops"],
 * //  ["Impersonate-Extra-acme.io%2Fscopes", "read"]]
 * ```
 */
export function impersonationHeaders(impersonation: Impersonation): [string, string][] {
  const groups = impersonation.groups ?? [];
  const extra = Object.entries(impersonation.extra ?? {});
  const user = impersonation.user ?? "";
  const uid = impersonation.uid ?? "";
  if (user === "" && uid === "" && groups.length === 0 && extra.length === 0) return [];
  const headers: [string, string][] = [["Impersonate-User", user]];
  if (uid !== "") headers.push(["Impersonate-Uid", uid]);
  for (const group of groups) headers.push(["Impersonate-Group", group]);
  for (const [key, values] of extra) {
    for (const value of values) headers.push([`Impersonate-Extra-${escapeExtraKey(key)}`, value]);
  }
  return headers;
}
