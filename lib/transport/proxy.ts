/**
 * Choosing the proxy for an API server URL, as client-go does: the kubeconfig's `proxy-url` when
 * set (always used, even for loopback), otherwise `HTTPS_PROXY`/`https_proxy` for https servers and
 * `HTTP_PROXY`/`http_proxy` for http servers, unless `NO_PROXY`/`no_proxy` excludes the host — with
 * the matching rules of Go's `golang.org/x/net/http/httpproxy`:
 *
 * - `localhost` and loopback IPs never use an environment proxy;
 * - `*` disables proxying; entries are comma-separated, trimmed and case-insensitive;
 * - `10.0.0.0/8`, `fd00::/8`: CIDR blocks; `10.1.2.3`, `[::1]:6443`: IPs, optionally with a port;
 * - `example.com` matches the host and its subdomains, `.example.com` and `*.example.com` only
 *   subdomains; either may carry a `:port`, which must then equal the URL's port (default 443/80).
 *
 * One deliberate difference: Go rejects `socks5h://` in environment variables (it accepts only
 * http, https and socks5 there); kubexec accepts it and treats it like `socks5://`, since Go's
 * SOCKS5 dialer already sends host names for the proxy to resolve.
 *
 * @module
 */
import { CgiProxyError, ProxyError } from "./errors.ts";
import { cidrContains, type IpBytes, ipEqual, isLoopback, parseCidr, parseIp } from "./ip.ts";

/** A proxy kind kubexec can tunnel through. */
export type ProxyKind = "http" | "https" | "socks5" | "socks5h";

/** The proxy chosen for a connection. */
export interface ProxyRoute {
  /** The proxy URL (may carry `user:password@` for authentication). */
  url: URL;
  /** The tunnelling protocol, from the URL scheme. */
  kind: ProxyKind;
  /** Where the proxy came from, for `-v` logs: `proxy-url`, `HTTPS_PROXY`, `http_proxy`, … */
  source: string;
}

/** Reads an environment variable; injected so tests and libraries control the environment. */
export type EnvReader = (name: string) => string | undefined;

const PROXY_KINDS = new Set(["http:", "https:", "socks5:", "socks5h:"]);
const DEFAULT_PORTS: Record<string, string> = {
  "http:": "80",
  "https:": "443",
  "socks5:": "1080",
  "socks5h:": "1080",
};

/**
 * The port of `url`, or its scheme's default port.
 *
 * @example
 * ```ts
 * import { portOf } from "./proxy.ts";
 * portOf(new URL("https://h")); // 443
 * ```
 */
export function portOf(url: URL): number {
  return Number(url.port || DEFAULT_PORTS[url.protocol] || "0");
}

/**
 * The host of `url` without IPv6 brackets, as `Deno.connect` and SNI need it.
 *
 * @example
 * ```ts
 * import { hostOf } from "./proxy.ts";
 * hostOf(new URL("https://[::1]:6443")); // "::1"
 * ```
 */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * The proxy URL as it may appear in logs and errors: userinfo removed.
 *
 * @example
 * ```ts
 * import { displayProxyUrl } from "./proxy.ts";
 * displayProxyUrl(new URL("http://u:p@proxy:3128")); // "http://proxy:3128"
 * ```
 */
export function displayProxyUrl(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * Parses an explicit `proxy-url`. Throws `ProxyError` for unsupported schemes or a missing host.
 *
 * @example
 * ```ts
 * import { parseProxyUrl } from "./proxy.ts";
 * parseProxyUrl("socks5://127.0.0.1:1080").kind; // "socks5"
 * ```
 */
export function parseProxyUrl(text: string, source = "proxy-url"): ProxyRoute {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxyError(text.replace(/\/\/[^@/]*@/, "//"), "invalid proxy URL");
  }
  if (!PROXY_KINDS.has(url.protocol)) {
    throw new ProxyError(
      displayProxyUrl(url),
      `unsupported proxy scheme "${
        url.protocol.slice(0, -1)
      }" (use http, https, socks5 or socks5h)`,
    );
  }
  if (!url.hostname) throw new ProxyError(displayProxyUrl(url), "proxy URL has no host");
  return { url, kind: url.protocol.slice(0, -1) as ProxyKind, source };
}

function parseEnvProxy(text: string, source: string): ProxyRoute | undefined {
  if (text === "") return undefined;
  try {
    const url = new URL(text);
    if (PROXY_KINDS.has(url.protocol) && url.hostname) return parseProxyUrl(text, source);
  } catch {
    // Go's rule: a value that is not a URL with a known scheme is retried as `http://value`.
  }
  try {
    return parseProxyUrl(`http://${text}`, source);
  } catch {
    return undefined;
  }
}

function firstEnv(env: EnvReader, names: string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env(name);
    if (value) return [name, value];
  }
  return undefined;
}

/**
 * Decides which proxy, if any, carries connections to `target`.
 *
 * @throws {CgiProxyError} for an http `target` with `HTTP_PROXY` set in a CGI environment
 *
 * @example
 * ```ts
 * import { resolveProxy } from "./proxy.ts";
 * const env = (n: string) => ({ HTTPS_PROXY: "proxy:3128", NO_PROXY: ".internal" } as Record<string, string>)[n];
 * resolveProxy(new URL("https://api.example:6443"), { env })?.url.href; // "http://proxy:3128/"
 * resolveProxy(new URL("https://k8s.internal:6443"), { env }); // undefined
 * ```
 */
export function resolveProxy(
  target: URL,
  options: { proxyUrl?: string; env?: EnvReader },
): ProxyRoute | undefined {
  if (options.proxyUrl) return parseProxyUrl(options.proxyUrl);
  const env = options.env ?? (() => undefined);
  const names = target.protocol === "https:"
    ? ["HTTPS_PROXY", "https_proxy"]
    : target.protocol === "http:"
    ? ["HTTP_PROXY", "http_proxy"]
    : [];
  const found = firstEnv(env, names);
  if (!found) return undefined;
  // Go's httpoxy guard, checked before NO_PROXY as Go checks it.
  if (target.protocol === "http:" && env("REQUEST_METHOD")) throw new CgiProxyError();
  const route = parseEnvProxy(found[1], found[0]);
  if (!route) return undefined;
  const noProxy = firstEnv(env, ["NO_PROXY", "no_proxy"])?.[1] ?? "";
  return useProxy(hostOf(target), String(portOf(target)), noProxy) ? route : undefined;
}

type Matcher = (host: string, port: string, ip: IpBytes | undefined) => boolean;

/**
 * Go's `useProxy`: whether `host:port` should go through the environment proxy given `noProxy`.
 *
 * @example
 * ```ts
 * import { useProxy } from "./proxy.ts";
 * useProxy("10.1.2.3", "443", "10.0.0.0/8"); // false
 * useProxy("api.example.com", "443", ".internal"); // true
 * ```
 */
export function useProxy(host: string, port: string, noProxy: string): boolean {
  if (host === "localhost") return false;
  const ip = parseIp(host);
  if (ip && isLoopback(ip)) return false;
  const name = host.trim().toLowerCase();
  const { ipMatchers, domainMatchers } = parseNoProxy(noProxy);
  if (ip && ipMatchers.some((match) => match(name, port, ip))) return false;
  return !domainMatchers.some((match) => match(name, port, ip));
}

function splitHostPort(entry: string): [string, string] | undefined {
  if (entry.startsWith("[")) {
    const match = /^\[([^\]]*)\]:(\d*)$/.exec(entry);
    return match ? [match[1], match[2]] : undefined;
  }
  const colon = entry.lastIndexOf(":");
  if (colon < 0 || entry.indexOf(":") !== colon) return undefined;
  return [entry.slice(0, colon), entry.slice(colon + 1)];
}

/**
 * A `.domain` suffix in its ASCII (punycode) form, as the server's host is (URL parsing converts
 * it); Go's `idnaASCII` does the same for NO_PROXY entries. Left as is when it is no valid name.
 */
function asciiDomain(suffix: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(suffix)) return suffix;
  try {
    return new URL(`http://x${suffix}`).hostname.slice(1);
  } catch {
    return suffix;
  }
}

function parseNoProxy(noProxy: string): { ipMatchers: Matcher[]; domainMatchers: Matcher[] } {
  const ipMatchers: Matcher[] = [];
  const domainMatchers: Matcher[] = [];
  for (const raw of noProxy.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return { ipMatchers: [() => true], domainMatchers: [() => true] };
    const cidr = parseCidr(entry);
    if (cidr) {
      ipMatchers.push((_h, _p, ip) => ip !== undefined && cidrContains(cidr, ip));
      continue;
    }
    let entryHost = entry;
    let entryPort = "";
    const split = splitHostPort(entry);
    if (split) {
      [entryHost, entryPort] = split;
      if (entryHost === "") continue;
    }
    const entryIp = parseIp(entryHost);
    if (entryIp) {
      ipMatchers.push((_h, port, ip) =>
        ip !== undefined && ipEqual(entryIp, ip) && (entryPort === "" || entryPort === port)
      );
      continue;
    }
    if (entryHost.startsWith("*.")) entryHost = entryHost.slice(1);
    const matchHost = !entryHost.startsWith(".");
    const suffix = asciiDomain(matchHost ? `.${entryHost}` : entryHost);
    // A domain entry never matches a server given as an IP address (Go's domainMatch).
    domainMatchers.push((host, port, ip) =>
      ip === undefined &&
      (host.endsWith(suffix) || (matchHost && host === suffix.slice(1))) &&
      (entryPort === "" || entryPort === port)
    );
  }
  return { ipMatchers, domainMatchers };
}
