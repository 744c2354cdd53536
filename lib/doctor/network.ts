/**
 * The network checks of `kubexec doctor`: resolving the first hop's name, opening TCP to it, and
 * asking the proxy (when one is in the way) for a tunnel to the API server. They reuse the
 * transport's own functions, so a check fails exactly where a real connection would.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { withDeadline } from "../transport/deadline.ts";
import { ConnectError, ProxyError, TlsError, TransportTimeoutError } from "../transport/errors.ts";
import { parseIp } from "../transport/ip.ts";
import { httpConnect } from "../transport/proxy_connect.ts";
import { displayProxyUrl, hostOf, portOf, type ProxyRoute } from "../transport/proxy.ts";
import { socks5Connect } from "../transport/socks5.ts";
import { connectTcp } from "../transport/tcp.ts";
import { connectTls } from "../transport/tls.ts";
import { formatAuthority } from "../transport/tls_errors.ts";
import type { TlsConfig } from "../kubeconfig/types.ts";
import type { ByteConn } from "../transport/types.ts";
import { type StepResult, stepResult } from "./types.ts";

/** Resolves a host name to addresses (injected in tests); the system resolver by default. */
export type HostLookup = (host: string) => Promise<string[]>;

/**
 * The system resolver (`getaddrinfo`): unlike `Deno.resolveDns`, it reads `/etc/hosts` and the
 * system's resolver configuration, as `Deno.connect` does, so the answer is the one the
 * connection will use.
 */
const systemLookup: HostLookup = async (host) =>
  (await lookup(host, { all: true })).map((entry) => entry.address);

/** Where the first TCP connection goes: the proxy when there is one, else the API server. */
export interface FirstHop {
  /** Host name or IP address, without IPv6 brackets. */
  host: string;
  /** TCP port. */
  port: number;
  /** `proxy` when the first hop is the proxy. */
  role: "server" | "proxy";
}

/**
 * The first hop of a connection to `server` through `proxy`.
 *
 * @example
 * ```ts
 * import { firstHop } from "./network.ts";
 * firstHop(new URL("https://10.0.0.1:6443"), undefined); // { host: "10.0.0.1", port: 6443, role: "server" }
 * ```
 */
export function firstHop(server: URL, proxy: ProxyRoute | undefined): FirstHop {
  const url = proxy?.url ?? server;
  return { host: hostOf(url), port: portOf(url), role: proxy ? "proxy" : "server" };
}

/**
 * Checks that the first hop's name resolves. With a proxy, the API server's own name is resolved
 * by the proxy, so only the proxy's name is looked up here.
 *
 * @example
 * ```ts
 * import { checkDns } from "./network.ts";
 * (await checkDns({ host: "127.0.0.1", port: 6443, role: "server" }, {})).status; // "ok"
 * ```
 */
export async function checkDns(
  hop: FirstHop,
  options: { timeoutMs?: number; lookup?: HostLookup },
): Promise<StepResult> {
  const what = hop.role === "proxy" ? "the proxy" : "the API server";
  if (parseIp(hop.host)) {
    return stepResult("dns", "ok", `${hop.host} (${what}) is an IP address; no lookup needed`);
  }
  try {
    const addresses = await withDeadline(
      (options.lookup ?? systemLookup)(hop.host),
      options.timeoutMs,
      `lookup ${hop.host}`,
      () => {},
      () => {},
    );
    if (addresses.length === 0) throw new Error("no addresses");
    return stepResult("dns", "ok", `${hop.host} (${what}) resolves to ${addresses.join(", ")}`);
  } catch (error) {
    const timedOut = error instanceof TransportTimeoutError;
    return stepResult(
      "dns",
      "fail",
      `cannot resolve ${hop.host} (${what}): ${timedOut ? "lookup timed out" : "no such host"}`,
      {
        cause: timedOut
          ? "the DNS servers did not answer in time"
          : `the name ${hop.host} is unknown to this machine's resolver`,
        fix: hop.role === "proxy"
          ? "check the proxy URL (proxy-url in the kubeconfig, or HTTPS_PROXY) for a typo"
          : "check the server URL of the cluster in your kubeconfig for a typo; names of private clusters often resolve only inside their network (VPN, bastion) — connect it, or add the name to /etc/hosts",
      },
    );
  }
}

/**
 * Opens TCP to the first hop; on success the connection is returned for the next steps.
 *
 * @example
 * ```ts ignore
 * import { checkTcp } from "./network.ts";
 * const { result, conn } = await checkTcp({ host: "127.0.0.1", port: 6443, role: "server" }, 10_000);
 * ```
 */
export async function checkTcp(
  hop: FirstHop,
  timeoutMs: number | undefined,
): Promise<{ result: StepResult; conn?: ByteConn }> {
  const address = formatAuthority(hop.host, hop.port);
  const what = hop.role === "proxy" ? "the proxy" : "the API server";
  try {
    const conn = await withDeadline(
      connectTcp(hop.host, hop.port),
      timeoutMs,
      `dial tcp ${address}`,
      () => {},
      (late) => late.close(),
    );
    return { result: stepResult("tcp", "ok", `connected to ${address} (${what})`), conn };
  } catch (error) {
    const failure = error instanceof ConnectError
      ? error.failure
      : error instanceof TransportTimeoutError
      ? "timeout"
      : "other";
    const advice: Record<string, { cause: string; fix: string }> = {
      refused: {
        cause: `nothing accepts connections on ${address}`,
        fix: `check the port in the ${
          hop.role === "proxy" ? "proxy URL" : "server URL"
        }; is ${what} running, and its load balancer healthy?`,
      },
      timeout: {
        cause:
          `no answer from ${address}: a firewall or security group drops the packets, or the address is wrong`,
        fix:
          `check that this machine may reach ${address} (firewall rules, VPN, authorized networks of a managed cluster)`,
      },
      unreachable: {
        cause: `there is no network route to ${address}`,
        fix: "connect the VPN or network the cluster lives in, or use the bastion host",
      },
    };
    const chosen = advice[failure] ?? {
      cause: (error as Error).message,
      fix: `check that ${what} is reachable from this machine`,
    };
    return {
      result: stepResult(
        "tcp",
        "fail",
        `cannot connect to ${address}: ${(error as Error).message}`,
        chosen,
      ),
    };
  }
}

/** What {@linkcode checkProxy} needs. */
export interface ProxyCheck {
  /** The chosen proxy, or `undefined` for a direct connection. */
  route: ProxyRoute | undefined;
  /** The API server, which the proxy is asked to reach. */
  server: URL;
  /** The CA and insecure mode for an https proxy's own certificate. */
  tls: TlsConfig;
  /** Sent to HTTP proxies in the CONNECT request. */
  userAgent?: string;
  /** Limit for the tunnel to open; 0 or absent: none. */
  timeoutMs?: number;
}

/**
 * Asks the proxy on `conn` for a tunnel to the API server (HTTP CONNECT, TLS then CONNECT for an
 * https proxy, or SOCKS5); without a proxy reports the direct route. On success the returned
 * connection leads to the API server.
 *
 * @example
 * ```ts ignore
 * import { checkProxy } from "./network.ts";
 * const { result, conn: tunnel } = await checkProxy(conn, { route, server, tls: {} });
 * ```
 */
export async function checkProxy(
  conn: ByteConn,
  check: ProxyCheck,
): Promise<{ result: StepResult; conn?: ByteConn }> {
  const { route, server } = check;
  if (!route) {
    return {
      result: stepResult("proxy", "ok", "none: direct connection to the API server"),
      conn,
    };
  }
  const proxy = displayProxyUrl(route.url);
  const target = formatAuthority(hostOf(server), portOf(server));
  let current = conn;
  try {
    await withDeadline(
      (async () => {
        if (route.kind === "https") {
          const viaTls = await connectTls({
            host: hostOf(route.url),
            port: portOf(route.url),
            tls: { caPem: check.tls.caPem, insecure: check.tls.insecure },
            tunnel: conn,
          });
          current = viaTls.conn;
        }
        if (route.kind === "socks5" || route.kind === "socks5h") {
          await socks5Connect(current, route.url, hostOf(server), portOf(server));
        } else {
          await httpConnect(current, route.url, target, check.userAgent);
        }
      })(),
      check.timeoutMs,
      `proxy ${proxy}`,
      () => current.close(),
      () => {},
    );
    return {
      result: stepResult(
        "proxy",
        "ok",
        `${route.kind} proxy ${proxy} (from ${route.source}) opened a tunnel to ${target}`,
      ),
      conn: current,
    };
  } catch (error) {
    current.close();
    return { result: proxyFailure(error, proxy, route, target) };
  }
}

function proxyFailure(
  error: unknown,
  proxy: string,
  route: ProxyRoute,
  target: string,
): StepResult {
  const message = (error as Error).message;
  const summary = `${route.kind} proxy ${proxy} (from ${route.source}) gave no tunnel to ${target}`;
  const refusal = error instanceof ProxyError ? error.refusal : undefined;
  // The proxy's own answer (a CONNECT status, a SOCKS reply) without the error's prefixes.
  const detail = refusal !== undefined ? message.replace(/^.*: /, "") : message;
  if (refusal === "credentials") {
    const scheme = route.url.protocol.slice(0, -1);
    return route.url.username || route.url.password
      ? stepResult("proxy", "fail", `${summary}: ${detail}`, {
        cause: "the proxy refused the user name and password in the proxy URL",
        fix: "check them (special characters in them must be percent-encoded, @ as %40, : as %3A)",
      })
      : stepResult("proxy", "fail", `${summary}: ${detail}`, {
        cause: "the proxy wants credentials",
        fix:
          `put them in the proxy URL (${scheme}://user:password@${route.url.host}, percent-encoding special characters)`,
      });
  }
  if (refusal === "unreachable") {
    return stepResult("proxy", "fail", `${summary}: ${detail}`, {
      cause:
        `the proxy could not reach ${target}: the API server is down, or not reachable from the proxy's network`,
      fix:
        `check that the API server is running; if it is, ask the proxy's administrator whether the proxy can reach ${target}`,
    });
  }
  if (refusal === "forbidden") {
    return stepResult(
      "proxy",
      "fail",
      `${summary}: the proxy refused ${
        route.kind.startsWith("socks") ? "the connection" : "CONNECT"
      } (${detail})`,
      {
        cause:
          `the proxy does not allow tunnels to ${target} (many allow CONNECT only to port 443)`,
        fix:
          `ask the proxy's administrator to allow CONNECT to ${target}, or, if the API server is reachable directly, add its host to NO_PROXY`,
      },
    );
  }
  if (error instanceof TlsError) {
    return stepResult("proxy", "fail", `${summary}: ${message}`, {
      cause: "the https proxy's own certificate is not trusted",
      fix:
        "an https proxy must present a certificate the kubeconfig's CA (or the system roots) trusts",
    });
  }
  if (error instanceof TransportTimeoutError) {
    return stepResult("proxy", "fail", `${summary}: no answer in time`, {
      cause: "the proxy accepted the connection but never answered the tunnel request",
      fix: `check that ${proxy} really is a ${route.kind} proxy`,
    });
  }
  return stepResult("proxy", "fail", `${summary}: ${message}`, {
    cause:
      `the proxy at ${proxy} does not speak ${route.kind} as expected, or closed the connection`,
    fix: `check the proxy URL's scheme (http://, https://, socks5://) and that ${proxy} is a proxy`,
  });
}
