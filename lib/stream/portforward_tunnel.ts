/**
 * Port-forward through SPDY/3.1 tunnelled in one WebSocket (`SPDY/3.1+portforward.k8s.io`, what
 * kubectl ≥ 1.31 speaks): the API server upgrades to SPDY toward the kubelet and carries the SPDY
 * bytes in binary WebSocket messages. Every local connection becomes a stream pair on that one
 * connection, as in client-go's `handleConnection`: an `error` stream (half-closed at once, read to
 * its end for the server's error text) and a `data` stream, both with the remote `port` and a
 * per-connection `requestid`. Both directions half-close: local EOF sends FIN on the data stream,
 * the pod's FIN shuts the local write side.
 *
 * Unlike client-go, an error on one connection does not end the tunnel: the text is reported for
 * that connection and the others go on.
 *
 * @module
 */
import type { ApiClient, ByteConn, WebSocketConn } from "../transport/types.ts";
import {
  type ForwardOutcome,
  type PortForwarder,
  PortForwardLostError,
} from "./portforward_types.ts";
import {
  MAX_DATA_PAYLOAD,
  SpdyConnection,
  type SpdyStream,
  type SpdyTransport,
} from "./spdy/connection.ts";
import { FRAME_HEADER_BYTES } from "./spdy/frames.ts";

/** The tunnel's WebSocket subprotocol. */
export const TUNNEL_PORT_FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io";

/** Error text kept per connection. */
const MAX_ERROR_BYTES = 64 * 1024;
/** How long the server has to answer a new stream (client-go's `createStreamResponseTimeout`). */
const STREAM_REPLY_TIMEOUT_MS = 30_000;

/** The server answered the upgrade with another subprotocol than the tunnel's. */
export class TunnelNegotiationError extends Error {
  /** @param protocol what the server chose */
  constructor(readonly protocol: string) {
    super(
      `unable to negotiate protocol: client supports "${TUNNEL_PORT_FORWARD_PROTOCOL}", server returned "${protocol}"`,
    );
    this.name = "TunnelNegotiationError";
  }
}

/**
 * Adapts a WebSocket to the byte transport SPDY runs on.
 *
 * @example
 * ```ts ignore
 * import { webSocketTransport } from "./portforward_tunnel.ts";
 * const transport = webSocketTransport(ws);
 * ```
 */
export function webSocketTransport(ws: WebSocketConn): SpdyTransport {
  return {
    async receive() {
      const message = await ws.receive();
      return message === null ? null : message.data;
    },
    send: (bytes) => ws.send(bytes, true),
    close: () => ws.close(1000),
  };
}

/** Options of {@linkcode openTunnelPortForwarder}. */
export interface TunnelOptions {
  /** SPDY PING period (client-go: 10 s); 0 disables. */
  pingIntervalMs?: number;
}

/**
 * Upgrades `path` (`/api/v1/namespaces/NS/pods/NAME/portforward`, no query needed) to the tunnel.
 * Throws `UpgradeError` when the server refuses it.
 *
 * @example
 * ```ts ignore
 * import { openTunnelPortForwarder } from "./portforward_tunnel.ts";
 * const forwarder = await openTunnelPortForwarder(client, path, { pingIntervalMs: 10_000 });
 * ```
 */
export async function openTunnelPortForwarder(
  client: ApiClient,
  path: string,
  options: TunnelOptions = {},
): Promise<PortForwarder> {
  const ws = await client.upgrade(path, [TUNNEL_PORT_FORWARD_PROTOCOL]);
  if (ws.protocol !== TUNNEL_PORT_FORWARD_PROTOCOL) {
    await ws.close(1000).catch(() => {});
    throw new TunnelNegotiationError(ws.protocol);
  }
  return tunnelPortForwarder(
    new SpdyConnection(webSocketTransport(ws), {
      role: "client",
      pingIntervalMs: options.pingIntervalMs ?? 0,
    }),
  );
}

/**
 * A forwarder over an established SPDY client connection.
 *
 * @example
 * ```ts ignore
 * import { tunnelPortForwarder } from "./portforward_tunnel.ts";
 * const forwarder = tunnelPortForwarder(new SpdyConnection(transport, { role: "client" }));
 * ```
 */
export function tunnelPortForwarder(connection: SpdyConnection): PortForwarder {
  let nextRequestId = 0;
  const lost = connection.closed.then((reason) => new PortForwardLostError(reason.message));
  return {
    protocol: TUNNEL_PORT_FORWARD_PROTOCOL,
    lost,
    async forward(local, remotePort) {
      const requestId = String(nextRequestId++);
      const headers = (type: string): [string, string][] => [
        ["streamtype", type],
        ["port", String(remotePort)],
        ["requestid", requestId],
      ];
      let errorStream: SpdyStream;
      let dataStream: SpdyStream;
      try {
        errorStream = connection.openStream(headers("error"));
        void errorStream.closeWrite().catch(() => {});
        dataStream = connection.openStream(headers("data"));
      } catch (error) {
        local.close();
        throw new PortForwardLostError((error as Error).message);
      }
      const errorText = readAll(errorStream);
      try {
        await withTimeout(
          Promise.all([errorStream.replied, dataStream.replied]),
          STREAM_REPLY_TIMEOUT_MS,
          `timed out waiting for the server to accept streams for port ${remotePort}`,
        );
      } catch (error) {
        local.close();
        dataStream.reset();
        errorStream.reset();
        const text = await errorText;
        if (text !== "") return { error: text, bytesIn: 0, bytesOut: 0 };
        throw new PortForwardLostError((error as Error).message);
      }
      const outcome = await pipe(local, dataStream);
      outcome.error = await errorText;
      if (outcome.error !== "") dataStream.reset();
      return outcome;
    },
    async close() {
      await connection.close();
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(message)), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function readAll(stream: SpdyStream): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const chunk = await stream.read();
    if (chunk === null) break;
    if (total < MAX_ERROR_BYTES) chunks.push(chunk.slice(0, MAX_ERROR_BYTES - total));
    total += chunk.length;
  }
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join("").trim() + decoder.decode();
}

/** Copies both ways with half-close until both directions ended, then closes `local`. */
async function pipe(local: ByteConn, stream: SpdyStream): Promise<ForwardOutcome> {
  const outcome: ForwardOutcome = { error: "", bytesIn: 0, bytesOut: 0 };
  let failed = false;
  const fail = () => {
    if (failed) return;
    failed = true;
    stream.reset();
    local.close();
  };
  const upload = (async () => {
    const frame = new Uint8Array(FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD);
    while (!failed) {
      let count: number | null;
      try {
        count = await local.read(frame.subarray(FRAME_HEADER_BYTES));
      } catch {
        fail();
        return;
      }
      if (count === null) {
        await stream.closeWrite().catch(() => {});
        return;
      }
      outcome.bytesOut += count;
      try {
        await stream.writeFrame(frame, count);
      } catch {
        fail();
        return;
      }
    }
  })();
  const download = (async () => {
    while (!failed) {
      const chunk = await stream.read();
      if (chunk === null) {
        if (stream.resetByPeer) fail();
        else await local.closeWrite().catch(() => {});
        return;
      }
      try {
        await local.writeAll(chunk);
        outcome.bytesIn += chunk.length;
      } catch {
        fail();
        return;
      }
    }
  })();
  await Promise.all([upload, download]);
  local.close();
  return outcome;
}
