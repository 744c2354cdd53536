/**
 * The server side of the SPDY port-forward tunnel (`SPDY/3.1+portforward.k8s.io`), as the API
 * server's tunnelling handler and the kubelet's SPDY port-forward handler behave together: each
 * binary WebSocket message carries SPDY bytes; the client opens an `error` and a `data` stream per
 * connection (same `requestid`), both are answered with SYN_REPLY, and once a pair is complete the
 * pod's port is dialled. Data flows both ways with half-close (FIN toward the pod becomes a TCP
 * write shutdown, the pod's EOF becomes FIN); a failed dial writes the CRI server's error text on
 * the error stream and resets both streams, as the kubelet does. Deleting the pod drops its
 * connections and then the tunnel.
 *
 * @module
 */
import {
  SpdyConnection,
  type SpdyStream,
  type SpdyTransport,
} from "../../../lib/stream/spdy/connection.ts";
import type { StreamEndpoint } from "./endpoints.ts";
import { forwardingError } from "./portforward.ts";
import type { SessionLog } from "./types.ts";
import type { ServerWebSocket } from "./websocket.ts";

/** The tunnel's subprotocol. */
export const SPDY_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io";

/**
 * Whether the API server would tunnel this offered subprotocol (`SPDY/3.1+NAME.k8s.io`); such
 * requests need no `ports` query, the ports travel in stream headers.
 *
 * @example
 * ```ts
 * import { isTunnelProtocol } from "./portforward_spdy.ts";
 * isTunnelProtocol("SPDY/3.1+portforward.k8s.io"); // true
 * ```
 */
export function isTunnelProtocol(protocol: string): boolean {
  return protocol.startsWith("SPDY/3.1+") && protocol.endsWith(".k8s.io");
}

/**
 * The tunnel as a port-forward endpoint, tried before the legacy one (as the API server's
 * tunnelling handler runs before its pass-through). Off when `protocols.portForward` is given
 * without {@linkcode SPDY_TUNNEL_PROTOCOL}, emulating a server without `PortForwardWebsockets`.
 */
export const spdyTunnelEndpoint: StreamEndpoint = {
  negotiate: (offered, request) =>
    offered.includes(SPDY_TUNNEL_PROTOCOL) &&
      (request.options.protocols?.portForward ?? [SPDY_TUNNEL_PROTOCOL]).includes(
        SPDY_TUNNEL_PROTOCOL,
      )
      ? SPDY_TUNNEL_PROTOCOL
      : undefined,
  serve: (out, request) =>
    serveSpdyTunnel(out.ws, {
      portMap: request.pod.input.portMap ?? {},
      sandboxId: request.pod.object.metadata.uid.replaceAll("-", "").padEnd(64, "0"),
      podGone: request.podGone,
      log: out.log,
    }),
};

/** What a tunnel session needs to know. */
export interface SpdyTunnelParams {
  /** Pod port → loopback port. */
  portMap: Record<number, number>;
  /** The id the CRI server names the pod by in errors. */
  sandboxId: string;
  /** Aborted when the pod is deleted. */
  podGone: AbortSignal;
  log: SessionLog;
}

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
}

function transportOf(ws: ServerWebSocket): SpdyTransport {
  return {
    async receive() {
      const message = await ws.receive();
      return message === null ? null : message.data;
    },
    send: (bytes) => ws.send(bytes),
    close: () => ws.close(1000),
  };
}

/**
 * Serves one upgraded tunnel until the client or the pod goes.
 *
 * @example
 * ```ts ignore
 * await serveSpdyTunnel(ws, { portMap: { 80: 41234 }, sandboxId, podGone, log });
 * ```
 */
export async function serveSpdyTunnel(
  ws: ServerWebSocket,
  params: SpdyTunnelParams,
): Promise<void> {
  const pairs = new Map<string, StreamPair>();
  const podConns = new Set<Deno.TcpConn>();
  const running = new Set<Promise<void>>();
  const connection = new SpdyConnection(transportOf(ws), {
    role: "server",
    onStream(stream) {
      const type = stream.header("streamtype");
      const port = Number(stream.header("port"));
      const requestId = stream.header("requestid") ?? "";
      if ((type !== "data" && type !== "error") || !(port > 0 && port < 65536)) {
        params.log.protocolErrors.push(`bad stream headers ${JSON.stringify(stream.headers)}`);
        stream.reset();
        return;
      }
      void connection.reply(stream).catch(() => {});
      const pair = pairs.get(requestId) ?? {};
      pair[type] = stream;
      pairs.set(requestId, pair);
      if (pair.data && pair.error) {
        pairs.delete(requestId);
        const task: Promise<void> = forwardPair(port, pair.data, pair.error, params, podConns)
          .catch(() => {})
          .finally(() => running.delete(task));
        running.add(task);
      }
    },
  });
  const dropAll = () => {
    for (const conn of podConns) closeQuietly(conn);
    void connection.close();
  };
  params.podGone.addEventListener("abort", dropAll, { once: true });
  if (params.podGone.aborted) dropAll();
  try {
    await connection.closed;
  } finally {
    params.podGone.removeEventListener("abort", dropAll);
    for (const conn of podConns) closeQuietly(conn);
    await Promise.all([...running]);
    await connection.close();
  }
}

function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

async function forwardPair(
  port: number,
  data: SpdyStream,
  error: SpdyStream,
  params: SpdyTunnelParams,
  podConns: Set<Deno.TcpConn>,
): Promise<void> {
  const local = params.portMap[port];
  let conn: Deno.TcpConn;
  try {
    if (local === undefined) throw new Deno.errors.ConnectionRefused("no listener");
    conn = await Deno.connect({ hostname: "127.0.0.1", port: local });
  } catch (cause) {
    const why = cause instanceof Deno.errors.ConnectionRefused
      ? "connect: connection refused"
      : (cause as Error).message;
    await error.write(new TextEncoder().encode(forwardingError(port, params.sandboxId, why)))
      .catch(() => {});
    data.reset();
    error.reset();
    return;
  }
  podConns.add(conn);
  const toPod = (async () => {
    while (true) {
      const chunk = await data.read();
      if (chunk === null) break;
      params.log.stdinBytes += chunk.length;
      try {
        let written = 0;
        while (written < chunk.length) written += await conn.write(chunk.subarray(written));
      } catch {
        return;
      }
    }
    try {
      await conn.closeWrite();
    } catch {
      // the pod side is gone
    }
  })();
  const fromPod = (async () => {
    const buffer = new Uint8Array(32 * 1024 - 8);
    while (true) {
      let count: number | null;
      try {
        count = await conn.read(buffer);
      } catch {
        count = null;
      }
      if (count === null) break;
      params.log.outputBytes += count;
      try {
        await data.write(buffer.subarray(0, count));
      } catch {
        return;
      }
    }
    await data.closeWrite().catch(() => {});
  })();
  await Promise.all([toPod, fromPod]);
  podConns.delete(conn);
  closeQuietly(conn);
  await error.closeWrite().catch(() => {});
}
